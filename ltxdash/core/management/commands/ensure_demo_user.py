import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create a demo superuser when the database has no user yet, and print its password once."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="demo")

    def handle(self, *args, username: str, **options) -> None:
        User = get_user_model()
        if User.objects.exists():
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        self.stdout.write(
            self.style.SUCCESS(
                "\n  A demo login was created (shown only this once):\n"
                f"    username: {username}\n    password: {password}\n"
                "  Change it at /accounts/password_change/ or create your own with"
                " `python manage.py createsuperuser`.\n"
            )
        )
