from django.apps import AppConfig


class VideosConfig(AppConfig):
    name = "videos"
    verbose_name = "Past broadcasts"

    def ready(self) -> None:
        from videos import signals  # noqa: F401
