from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ltxdash.core"
    label = "core"

    def ready(self) -> None:
        from ltxdash.core import checks  # noqa: F401  # registers the deploy checks
