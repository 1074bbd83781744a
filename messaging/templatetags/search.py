from django import template
from django.utils.safestring import SafeString

from messaging.highlight import html_highlight, text_highlight
from messaging.models import Message

register = template.Library()


@register.filter
def highlighted(message: Message, query: str) -> SafeString:
    """The message as a search result shows it: its HTML (or escaped body) with the terms marked."""
    if message.html:
        return html_highlight(html=message.html, query=query or "")
    return text_highlight(text=message.body, query=query or "")
