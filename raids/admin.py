from django.contrib import admin

from raids.models import Raid, RaidSettings


@admin.register(Raid)
class RaidAdmin(admin.ModelAdmin):
    list_display = ["source", "target", "state", "started_at", "viewers", "arrivals"]
    list_filter = ["state"]
    search_fields = ["source__username", "target__username"]
    readonly_fields = ["viewers", "arrivals"]
    raw_id_fields = ["source", "target", "started_by"]


@admin.register(RaidSettings)
class RaidSettingsAdmin(admin.ModelAdmin):
    list_display = ["user", "accept_from"]
    raw_id_fields = ["user"]
