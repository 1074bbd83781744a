"""Fill ``html`` for messages written before it existed, so no page falls back to raw text."""

from django.db import migrations


def render_missing_html(apps, schema_editor):
    from messaging.formatting import body_render

    Message = apps.get_model("messaging", "Message")
    pending = Message.objects.filter(html="").only("id", "body")
    for message in pending.iterator(chunk_size=500):
        Message.objects.filter(pk=message.pk).update(html=body_render(message.body))


class Migration(migrations.Migration):
    dependencies = [("messaging", "0003_message_html_mention")]

    operations = [migrations.RunPython(render_missing_html, migrations.RunPython.noop)]
