from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path, register_converter
from django.views.static import serve

from social import views as social_views
from streams import dashboard, follow_views
from streams import views as stream_views
from streams.api import moderation as moderation_api
from streams.api import viewer as viewer_api
from streams.api import webhook
from streamsite import health, metrics
from streamsite.converters import UsernameConverter

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
    path("u/<username:username>/", dashboard.dashboard_stream, name="dashboard_stream"),
    path(
        "u/<username:username>/title/",
        dashboard.dashboard_stream_title,
        name="dashboard_stream_title",
    ),
    path(
        "u/<username:username>/thumbnail/",
        dashboard.dashboard_stream_thumbnail,
        name="dashboard_stream_thumbnail",
    ),
    path(
        "u/<username:username>/thumbnail/remove/",
        dashboard.dashboard_stream_thumbnail_remove,
        name="dashboard_stream_thumbnail_remove",
    ),
    path(
        "u/<username:username>/profile/",
        dashboard.dashboard_stream_profile,
        name="dashboard_stream_profile",
    ),
    path("u/<username:username>/keys/", dashboard.dashboard_keys, name="dashboard_keys"),
    path(
        "u/<username:username>/keys/generate/",
        dashboard.dashboard_keys_generate,
        name="dashboard_keys_generate",
    ),
    path(
        "u/<username:username>/keys/reset/",
        dashboard.dashboard_keys_reset,
        name="dashboard_keys_reset",
    ),
    path("u/<username:username>/chat/", dashboard.dashboard_chat, name="dashboard_chat"),
    path(
        "u/<username:username>/community/",
        dashboard.dashboard_community,
        name="dashboard_community",
    ),
    path(
        "u/<username:username>/moderation/",
        dashboard.dashboard_moderation,
        name="dashboard_moderation",
    ),
    path(
        "u/<username:username>/moderation/add/",
        dashboard.dashboard_moderator_add,
        name="dashboard_moderator_add",
    ),
    path(
        "u/<username:username>/moderation/remove/",
        dashboard.dashboard_moderator_remove,
        name="dashboard_moderator_remove",
    ),
    path(
        "u/<username:username>/moderation/lift/",
        dashboard.dashboard_ban_lift,
        name="dashboard_ban_lift",
    ),
    # Channel routes come last: reserved usernames keep them from shadowing the ones above.
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
