from django.apps import AppConfig


class SpendConfig(AppConfig):
    name = "ltxdash.spend"
    verbose_name = "Spending"
    default_auto_field = "django.db.models.BigAutoField"
