"""The clips' routes, included by the project's URLs before the channel routes (which would
take `/<username>/clips/`), after it registered the `username` converter. A slug is 11
URL-safe characters, so `/clips/new/...` is never a clip."""

from django.urls import path, register_converter

from videos.clips import api, views


class SlugConverter:
    regex = "[A-Za-z0-9_-]{11}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(SlugConverter, "clip_slug")

urlpatterns = [
    path("api/videos/<int:broadcast_id>/clips", api.broadcast_clips, name="api_broadcast_clips"),
    path("api/stream/<uuid:host_id>/clips", api.live_clips, name="api_live_clips"),
    path("clips/new/broadcast/<int:broadcast_id>/", views.clip_new, name="clip_new"),
    path("clips/new/live/<uuid:host_id>/", views.clip_new_live, name="clip_new_live"),
    path("clips/<clip_slug:slug>/", views.clip, name="clip"),
    path("clips/<clip_slug:slug>/delete/", views.clip_delete, name="clip_delete"),
    path("<username:username>/clips/", views.channel_clips, name="channel_clips"),
]
