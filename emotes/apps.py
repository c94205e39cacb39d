from django.apps import AppConfig


class EmotesConfig(AppConfig):
    name = "emotes"
    verbose_name = "Emotes"

    def ready(self) -> None:
        from emotes import hooks

        hooks.install()
