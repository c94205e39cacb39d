from django.contrib import admin

from videos.models import Broadcast, Clip, RecordingSettings


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


@admin.register(Clip)
class ClipAdmin(admin.ModelAdmin):
    """Deleting a clip here deletes its files too (videos.signals)."""

    list_display = ["title", "stream", "clipper", "duration", "created_at"]
    search_fields = ["title", "slug", "stream__user__username", "clipper__username"]
    raw_id_fields = ["stream", "broadcast", "clipper"]
    readonly_fields = ["slug", "file", "thumbnail", "bytes", "start", "duration", "created_at"]
