from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path, register_converter
from django.views.static import serve

from social import views as social_views
from streams import api as stream_api
from streams import views as stream_views
from streamsite.converters import UsernameConverter

register_converter(UsernameConverter, "username")

urlpatterns = [
    path("", stream_views.home, name="home"),
    path("search/", stream_views.search, name="search"),
    path("robots.txt", stream_views.robots_txt, name="robots_txt"),
    path("healthz", stream_api.healthz, name="healthz"),
    path("api/stream/token/<str:host_id>", stream_api.viewer_token, name="api_viewer_token"),
    path("api/stream/<str:host_id>", stream_api.stream_info, name="api_stream_info"),
    path("api/stream/<str:host_id>/chat", stream_api.chat_messages, name="api_chat"),
    path(
        "api/stream/<str:host_id>/chat/<int:message_id>/delete",
        stream_api.chat_delete,
        name="api_chat_delete",
    ),
    path("api/stream/<str:host_id>/block", stream_api.block_participant, name="api_block"),
    path("api/webhook/livekit", stream_api.livekit_webhook, name="api_livekit_webhook"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("u/<username:username>/", stream_views.dashboard_stream, name="dashboard_stream"),
    path("u/<username:username>/keys/", stream_views.dashboard_keys, name="dashboard_keys"),
    path("u/<username:username>/chat/", stream_views.dashboard_chat, name="dashboard_chat"),
    path(
        "u/<username:username>/community/",
        stream_views.dashboard_community,
        name="dashboard_community",
    ),
    # Channel routes come last: reserved usernames keep them from shadowing the ones above.
    path("<username:username>/", stream_views.channel, name="channel"),
    path("<username:username>/follow/", social_views.follow, name="follow"),
    path("<username:username>/unfollow/", social_views.unfollow, name="unfollow"),
    path("<username:username>/block/", social_views.block, name="block"),
    path("<username:username>/unblock/", social_views.unblock, name="unblock"),
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
