from __future__ import annotations

from django.contrib import admin
from django.db.models import Count
from django.utils.html import format_html

from directory.models import Category, Tag


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["box_art_preview", "name", "slug", "channels", "created_at"]
    list_display_links = ["box_art_preview", "name"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["box_art_preview", "created_at"]
    fields = ["name", "slug", "box_art", "box_art_preview", "created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(channel_count=Count("listings"))

    @admin.display(description="Channels", ordering="channel_count")
    def channels(self, category: Category) -> int:
        return category.channel_count

    @admin.display(description="Box art")
    def box_art_preview(self, category: Category) -> str:
        if not category.box_art:
            return "—"
        return format_html(
            '<img src="{}" alt="{}" width="45" height="60">', category.box_art.url, category.name
        )


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "channels"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(channel_count=Count("listings"))

    @admin.display(description="Channels", ordering="channel_count")
    def channels(self, tag: Tag) -> int:
        return tag.channel_count
