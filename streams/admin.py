from django.contrib import admin

from streams.models import Stream


@admin.register(Stream)
class StreamAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "title",
        "is_live",
        "is_chat_enabled",
        "is_chat_delayed",
        "is_chat_followers_only",
        "ingress_type",
        "updated_at",
    ]
    list_filter = [
        "is_live",
        "is_chat_enabled",
        "is_chat_delayed",
        "is_chat_followers_only",
        "ingress_type",
    ]
    search_fields = ["user__username", "title"]
    list_select_related = ["user"]
    ordering = ["-is_live", "-updated_at"]
    # The stream key is a secret of its owner: not in any admin list or form.
    exclude = ["stream_key"]
    readonly_fields = [
        "user",
        "ingress_id",
        "ingress_type",
        "server_url",
        "has_stream_key",
        "live_changed_at",
        "created_at",
        "updated_at",
    ]

    @admin.display(boolean=True, description="Stream key set")
    def has_stream_key(self, stream: Stream) -> bool:
        return bool(stream.stream_key)

    def has_add_permission(self, request) -> bool:
        return False  # every user gets exactly one stream when the user is created
