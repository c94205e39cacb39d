from django.apps import AppConfig


class StreamsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "streams"

    def ready(self) -> None:
        from accounts import cache as accounts_cache
        from accounts import sessions
        from social import unread
        from streams import page_cache, signals  # noqa: F401  (connects the receivers)

        # The bell's count, the session and the user are read through what a page read ahead
        # (page_cache.preload).
        unread.reader, unread.forget = page_cache.read, page_cache.forget
        sessions.reader, sessions.forget = page_cache.read, page_cache.forget
        accounts_cache.reader, accounts_cache.forget = page_cache.read, page_cache.forget
