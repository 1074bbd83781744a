from django.core.management.base import BaseCommand

from attachments.services import attachments_remove_unused


class Command(BaseCommand):
    help = "Remove uploads that no message claimed within a day (run it hourly, e.g. from cron)."

    def handle(self, *args: object, **options: object) -> None:
        removed = attachments_remove_unused()
        self.stdout.write(f"Removed {removed} unused upload(s).")
