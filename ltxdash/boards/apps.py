from django.apps import AppConfig


class BoardsConfig(AppConfig):
    name = "ltxdash.boards"
    verbose_name = "Boards"
    default_auto_field = "django.db.models.BigAutoField"
