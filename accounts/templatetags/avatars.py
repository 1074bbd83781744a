from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from accounts.avatars import avatar_for
from accounts.models import User
from accounts.selectors import avatar_url

register = template.Library()


@register.simple_tag
def avatar(user: User, *, labelled: bool = False, size: str = "") -> SafeString:
    """The person's uploaded picture, or their initials on their colour.

    Decorative by default, since the name is written beside it; ``labelled``
    names the picture for where it stands alone. ``size`` adds a class
    (``avatar-large``).
    """
    shown = avatar_for(username=user.username, display_name=user.shown_name)
    classes = f"avatar avatar-{size}" if size else "avatar"
    url = avatar_url(user_id=user.pk, avatar=user.avatar.name or "", version=user.avatar_version)
    if url:
        alt = user.shown_name if labelled else ""
        return format_html('<img class="{}" src="{}" alt="{}">', classes, url, alt)
    if labelled:
        return format_html(
            '<span class="{} avatar-{}" role="img" aria-label="{}">{}</span>',
            classes,
            shown.color,
            user.shown_name,
            shown.initials,
        )
    return format_html(
        '<span class="{} avatar-{}" aria-hidden="true">{}</span>',
        classes,
        shown.color,
        shown.initials,
    )
