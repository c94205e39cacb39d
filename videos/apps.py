import mimetypes

from django.apps import AppConfig

# What recordings are served as (HLS with fMP4 segments, docs/recording.md). Python's
# mimetypes also reads the system's tables, which may lack them or name them otherwise;
# Django serving media itself (DJANGO_SERVE_MEDIA, django.views.static.serve) would then send
# a type some players refuse.
HLS_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
}


class VideosConfig(AppConfig):
    name = "videos"
    verbose_name = "Past broadcasts"

    def ready(self) -> None:
        from videos import signals  # noqa: F401

        for extension, content_type in HLS_TYPES.items():
            mimetypes.add_type(content_type, extension)
