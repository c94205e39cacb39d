from django.contrib import admin

from videos.models import Broadcast, RecordingSettings


@admin.register(Broadcast)
class BroadcastAdmin(admin.ModelAdmin):
    list_display = ["title", "stream", "started_at", "ended_at", "state", "duration"]
    list_filter = ["state"]
    search_fields = ["title", "stream__user__username"]
    raw_id_fields = ["stream"]
    readonly_fields = ["playlist", "thumbnail", "timeline", "bytes_stored", "created_at"]


@admin.register(RecordingSettings)
class RecordingSettingsAdmin(admin.ModelAdmin):
    list_display = ["stream", "save_past_broadcasts", "retention_days"]
    raw_id_fields = ["stream"]
