from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from accounts.avatars import avatar_color, initials

register = template.Library()

# Built in Python rather than from an included template: pages show dozens of avatars, and
# one template render each was a third of the home page's time. format_html escapes every
# value it is given.
_FRAME = '<span class="avatar avatar-{}{}">{}</span>'
_IMAGE = """<img src="{}" alt="{}'s avatar" loading="lazy">"""
_INITIALS = (
    """<span class="avatar-initials" role="img" aria-label="{}'s avatar" """
    'style="background-color: {}">{}</span>'
)


@register.simple_tag
def avatar(user, size: str = "md", live: bool = False) -> SafeString:
    """The user's uploaded avatar, or their initials on a colour derived from the username."""
    name = user.username
    if user.avatar:
        picture = format_html(_IMAGE, user.avatar.url, name)
    else:
        picture = format_html(_INITIALS, name, avatar_color(name), initials(name))
    return format_html(_FRAME, size, " avatar-live" if live else "", picture)
