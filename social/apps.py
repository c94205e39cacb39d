from django.apps import AppConfig


class SocialConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "social"

    def ready(self) -> None:
        from social import (
            checks,  # noqa: F401  (registers the DJANGO_SITE_URL check)
            signals,  # noqa: F401
        )
