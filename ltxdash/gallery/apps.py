from django.apps import AppConfig


class GalleryConfig(AppConfig):
    name = "ltxdash.gallery"
    label = "gallery"
