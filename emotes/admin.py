from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html

from emotes import services
from emotes.models import Emote


@admin.register(Emote)
class EmoteAdmin(admin.ModelAdmin):
    """Emotes are added by their channel's host (the dashboard) or drawn by seed_emotes (the
    global ones); the admin lists them and removes them, as the dashboard does."""

    list_display = ["preview", "code", "channel", "created_at"]
    list_display_links = None
    list_filter = [("channel", admin.EmptyFieldListFilter)]
    search_fields = ["code", "channel__username"]
    list_select_related = ["channel"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Emote")
    def preview(self, emote: Emote) -> str:
        return format_html('<img src="{}" alt="{}" height="28">', emote.image_28.url, emote.code)

    def delete_model(self, request, obj: Emote) -> None:
        services.emote_delete(emote=obj)

    def delete_queryset(self, request, queryset) -> None:
        for emote in queryset:
            services.emote_delete(emote=emote)
