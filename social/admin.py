from django.contrib import admin

from social.models import Block, Follow, Notification


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ["follower", "following", "created_at"]
    search_fields = ["follower__username", "following__username"]
    list_select_related = ["follower", "following"]
    raw_id_fields = ["follower", "following"]
    date_hierarchy = "created_at"


@admin.register(Block)
class BlockAdmin(admin.ModelAdmin):
    list_display = ["blocker", "blocked", "created_at"]
    search_fields = ["blocker__username", "blocked__username"]
    list_select_related = ["blocker", "blocked"]
    raw_id_fields = ["blocker", "blocked"]
    date_hierarchy = "created_at"


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["recipient", "channel", "kind", "title", "created_at", "read_at"]
    list_filter = ["kind", "email_pending"]
    search_fields = ["recipient__username", "channel__username"]
    list_select_related = ["recipient", "channel"]
    raw_id_fields = ["recipient", "channel"]
    date_hierarchy = "created_at"
