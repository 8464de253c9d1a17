from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ltxdash.core"
    label = "core"
