from django.contrib import admin

from analytics.models import BroadcastStats, TitleChange, ViewerVisit


@admin.register(ViewerVisit)
class ViewerVisitAdmin(admin.ModelAdmin):
    list_display = ["identity", "person", "stream", "joined_at", "left_at"]
    search_fields = ["identity", "person", "stream__user__username"]
    raw_id_fields = ["stream"]
    date_hierarchy = "joined_at"


@admin.register(TitleChange)
class TitleChangeAdmin(admin.ModelAdmin):
    list_display = ["title", "stream", "at"]
    search_fields = ["title", "stream__user__username"]
    raw_id_fields = ["stream"]


@admin.register(BroadcastStats)
class BroadcastStatsAdmin(admin.ModelAdmin):
    """Figures are computed from the broadcast's rows (analytics.stats), not typed in."""

    list_display = [
        "broadcast",
        "duration",
        "peak_viewers",
        "average_viewers",
        "unique_viewers",
        "chat_messages",
        "new_followers",
        "computed_at",
    ]
    search_fields = ["broadcast__title", "broadcast__stream__user__username"]
    raw_id_fields = ["broadcast"]
    readonly_fields = [field.name for field in BroadcastStats._meta.fields]
