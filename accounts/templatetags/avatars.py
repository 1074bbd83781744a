from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from accounts.avatars import avatar_for
from accounts.models import User

register = template.Library()


@register.simple_tag
def avatar(user: User) -> SafeString:
    """The person's avatar beside their name (the name itself is written next to it)."""
    shown = avatar_for(username=user.username, display_name=user.shown_name)
    if shown.url:
        return format_html('<img class="avatar" src="{}" alt="">', shown.url)
    return format_html(
        '<span class="avatar avatar-{}" aria-hidden="true">{}</span>', shown.color, shown.initials
    )
