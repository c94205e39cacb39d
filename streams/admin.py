from django.contrib import admin, messages
from django.db.models import QuerySet

from streams import chat, services
from streams.livekit import LiveKitError
from streams.models import ChatBan, ChatMessage, ModerationAction, Moderator, Stream, WebhookEvent


@admin.register(Stream)
class StreamAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "title",
        "is_live",
        "is_chat_enabled",
        "slow_mode_seconds",
        "followers_only_minutes",
        "ingress_type",
        "updated_at",
    ]
    list_filter = [
        "is_live",
        "is_chat_enabled",
        "slow_mode_seconds",
        "followers_only_minutes",
        "is_chat_signed_in_only",
        "ingress_type",
    ]
    search_fields = ["user__username", "title"]
    list_select_related = ["user"]
    ordering = ["-is_live", "-updated_at"]
    # The stream key is a secret of its owner: not in any admin list or form.
    exclude = ["stream_key"]
    # Live status belongs to LiveKit's webhooks, sync_live_status and the "End stream" action;
    # viewer counts to the viewer-count pass.
    readonly_fields = [
        "user",
        "is_live",
        "last_live_at",
        "viewer_count",
        "viewers_counted_at",
        "ingress_id",
        "ingress_type",
        "server_url",
        "has_stream_key",
        "live_changed_at",
        "created_at",
        "updated_at",
    ]
    actions = ["reset_ingress", "end_stream"]

    @admin.display(boolean=True, description="Stream key set")
    def has_stream_key(self, stream: Stream) -> bool:
        return bool(stream.stream_key)

    def has_add_permission(self, request) -> bool:
        return False  # every user gets exactly one stream when the user is created

    @admin.action(description="Reset ingress (delete the connection; the key stops working)")
    def reset_ingress(self, request, queryset) -> None:
        self._each(request, queryset, services.connection_reset, "Reset the connection of")

    @admin.action(description="End stream (disconnect everyone from the live room)")
    def end_stream(self, request, queryset) -> None:
        self._each(request, queryset, services.stream_end, "Ended the stream of")

    def _each(self, request, queryset, operation, done: str) -> None:
        for stream in queryset.select_related("user"):
            try:
                operation(stream=stream)
            except LiveKitError as error:
                self.message_user(request, f"{stream.user}: {error}", messages.ERROR)
            else:
                self.message_user(request, f"{done} {stream.user}.", messages.SUCCESS)


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["event", "event_id", "ingress_id", "room", "outcome", "created_at"]
    list_filter = ["event", "outcome"]
    search_fields = ["event_id", "ingress_id", "room"]
    date_hierarchy = "received_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Moderator)
class ModeratorAdmin(admin.ModelAdmin):
    list_display = ["user", "host", "created_at"]
    search_fields = ["user__username", "host__username"]
    list_select_related = ["user", "host"]
    autocomplete_fields = ["host", "user"]


@admin.register(ChatBan)
class ChatBanAdmin(admin.ModelAdmin):
    """Timeouts and guest bans; deleting one lifts it."""

    list_display = ["name", "kind", "host", "expires_at", "network_expires_at", "created_by"]
    list_filter = ["kind"]
    search_fields = ["name", "host__username", "guest_identity", "network"]
    list_select_related = ["host", "created_by"]

    def has_add_permission(self, request) -> bool:
        return False  # made by the host and moderators from the chat

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ModerationAction)
class ModerationActionAdmin(admin.ModelAdmin):
    """The moderation log, as it was written."""

    list_display = ["created_at", "host", "actor_name", "action", "target_name", "detail"]
    list_filter = ["action"]
    search_fields = ["host__username", "actor_name", "target_name"]
    list_select_related = ["host"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ChannelFilter(admin.RelatedOnlyFieldListFilter):
    """The channels that have messages, by username."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.title = "channel"


@admin.register(ChatMessage)
class ChatMessageAdmin(admin.ModelAdmin):
    """Chat as it was said. Deleting a message here is the host's delete: it is hidden from
    everyone at once (open pages drop it) and kept, marked deleted, as a record."""

    list_display = ["created_at", "channel", "author_name", "text", "is_deleted"]
    list_filter = [("stream__user", ChannelFilter), "created_at", "is_deleted"]
    search_fields = ["text", "author_name"]
    date_hierarchy = "created_at"
    list_select_related = ["stream__user"]
    ordering = ["-created_at", "-pk"]
    fields = ["channel", "author_name", "user", "guest_identity", "text", "created_at"]
    readonly_fields = fields

    @admin.display(description="Channel", ordering="stream__user__username")
    def channel(self, message: ChatMessage) -> str:
        return message.stream.user.username

    def has_add_permission(self, request) -> bool:
        return False  # messages come from chat, through its rules

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            function, name, _ = actions["delete_selected"]
            label = "Delete selected messages (hidden for everyone, live)"
            actions["delete_selected"] = (function, name, label)
        return actions

    def delete_model(self, request, obj: ChatMessage) -> None:
        chat.delete_message(stream=obj.stream, message_id=obj.pk)

    def delete_queryset(self, request, queryset: QuerySet[ChatMessage]) -> None:
        for message in queryset.filter(is_deleted=False).select_related("stream__user"):
            chat.delete_message(stream=message.stream, message_id=message.pk)
