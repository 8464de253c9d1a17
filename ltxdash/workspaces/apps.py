from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    name = "ltxdash.workspaces"
    verbose_name = "Workspaces"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ltxdash.workspaces import signals  # noqa: F401  (a personal workspace on login)
