from django.apps import AppConfig


class GenerationsConfig(AppConfig):
    name = "ltxdash.generations"
    label = "generations"
