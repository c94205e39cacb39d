from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        from analytics import services, signals  # noqa: F401  (connects the receivers)
        from streams import live_status

        if services.webhook_event_record not in live_status.WEBHOOK_LISTENERS:
            live_status.WEBHOOK_LISTENERS.append(services.webhook_event_record)
