from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = "Directory"

    def ready(self) -> None:
        from directory import hooks, signals  # noqa: F401  (signals connects its receivers)

        hooks.install()
