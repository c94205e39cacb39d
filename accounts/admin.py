from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.html import format_html

from accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["avatar_preview", "username", "email", "is_staff", "is_active", "date_joined"]
    list_display_links = ["avatar_preview", "username"]
    search_fields = ["username", "email"]
    ordering = ["-date_joined"]
    readonly_fields = ["avatar_preview", "last_login", "date_joined"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        ("Profile", {"fields": ["bio", "avatar", "avatar_preview"]}),
    ]

    @admin.display(description="Avatar")
    def avatar_preview(self, user: User) -> str:
        if not user.avatar:
            return "—"
        return format_html(
            '<img src="{}" alt="{}" width="32" height="32" style="border-radius:50%">',
            user.avatar.url,
            user.username,
        )
