from __future__ import annotations

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from accounts.avatars import avatar_color, initials

register = template.Library()


@register.simple_tag
def avatar(user, size: str = "md", live: bool = False) -> SafeString:
    """The user's uploaded avatar, or their initials on a colour derived from the username."""
    return render_to_string(
        "includes/avatar.html",
        {
            "avatar_user": user,
            "size": size,
            "live": live,
            "color": avatar_color(user.username),
            "initials": initials(user.username),
        },
    )
