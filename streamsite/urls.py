from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path, register_converter
from django.views.static import serve

from social import views as social_views
from streams import dashboard, embed, follow_views
from streams import views as stream_views
from streams.api import moderation as moderation_api
from streams.api import viewer as viewer_api
from streams.api import webhook
from streamsite import health, metrics
from streamsite.converters import UsernameConverter
from videos import views as video_views

register_converter(UsernameConverter, "username")
handler404 = "streamsite.views.page_not_found"

urlpatterns = [
    path("", stream_views.home, name="home"),
    path("search/", stream_views.search, name="search"),
    path("robots.txt", stream_views.robots_txt, name="robots_txt"),
    path("healthz", health.healthz, name="healthz"),
    path("api/live", viewer_api.live_channels, name="api_live"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("api/stream/token/<uuid:host_id>", viewer_api.viewer_token, name="api_viewer_token"),
    path("api/stream/<uuid:host_id>", viewer_api.stream_info, name="api_stream_info"),
    path("api/stream/<uuid:host_id>/chat", viewer_api.chat_messages, name="api_chat"),
    path(
        "api/stream/<uuid:host_id>/chat/<int:message_id>/delete",
        moderation_api.chat_delete,
        name="api_chat_delete",
    ),
    path("api/stream/<uuid:host_id>/timeout", moderation_api.timeout, name="api_timeout"),
    path("api/stream/<uuid:host_id>/ban", moderation_api.ban, name="api_ban"),
    path("api/webhook/livekit", webhook.livekit_webhook, name="api_livekit_webhook"),
    path("", include("videos.urls")),
    path("", include("videos.clips.urls")),
    path("", include("directory.urls")),
    path("", include("emotes.urls")),
    path("", include("raids.urls")),
    path("", include("analytics.urls")),
    path("notifications/", social_views.notification_list, name="notifications"),
    path(
        "notifications/<int:notification_id>/read/",
        social_views.notification_read,
        name="notification_read",
    ),
    path(
        "notifications/read-all/",
        social_views.notifications_read_all,
        name="notifications_read_all",
    ),
    path(
        "notifications/settings/", social_views.notification_settings, name="notification_settings"
    ),
    path("notifications/unsubscribe/<str:token>/", social_views.unsubscribe, name="unsubscribe"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    # The creator dashboard: each page and each form's URL is named as its view.
    *[
        path(f"u/<username:username>/{route}", view, name=view.__name__)
        for route, view in [
            ("", dashboard.dashboard_stream),
            ("title/", dashboard.dashboard_stream_title),
            ("thumbnail/", dashboard.dashboard_stream_thumbnail),
            ("thumbnail/remove/", dashboard.dashboard_stream_thumbnail_remove),
            ("profile/", dashboard.dashboard_stream_profile),
            ("keys/", dashboard.dashboard_keys),
            ("keys/generate/", dashboard.dashboard_keys_generate),
            ("keys/reset/", dashboard.dashboard_keys_reset),
            ("chat/", dashboard.dashboard_chat),
            ("community/", dashboard.dashboard_community),
            ("moderation/", dashboard.dashboard_moderation),
            ("moderation/add/", dashboard.dashboard_moderator_add),
            ("moderation/remove/", dashboard.dashboard_moderator_remove),
            ("moderation/lift/", dashboard.dashboard_ban_lift),
        ]
    ],
    # The only pages other sites may frame (streams/embed.py).
    path("embed/<username:username>/", embed.embed_player, name="embed_player"),
    path("embed/<username:username>/chat/", embed.embed_chat, name="embed_chat"),
    # Channel routes come last: reserved usernames keep them from shadowing the ones above.
    path("<username:username>/videos/", video_views.channel_videos, name="channel_videos"),
    path("<username:username>/", stream_views.channel, name="channel"),
    path("<username:username>/follow/", follow_views.follow, name="follow"),
    path("<username:username>/unfollow/", follow_views.unfollow, name="unfollow"),
    path("<username:username>/block/", follow_views.block, name="block"),
    path("<username:username>/unblock/", follow_views.unblock, name="unblock"),
]

if settings.SERVE_MEDIA:
    # Small deployments may let Django serve uploads; larger ones put a web server or
    # object storage in front (see README, Production).
    urlpatterns = [
        re_path(
            rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.*)$",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        ),
        *urlpatterns,
    ]
