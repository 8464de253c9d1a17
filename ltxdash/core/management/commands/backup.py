"""``manage.py backup DEST``: a consistent backup of the embedded default while it runs.

The work is in ``ltxdash/core/backup.py`` (what is copied, in which order, and why that is
consistent); this only reads the settings and says what happened.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ltxdash.core import backup


class Command(BaseCommand):
    help = (
        "Back up the SQLite database (a snapshot taken while ltxdash runs), the media and the "
        "generated secret and encryption keys into DEST, a new or empty folder, with a manifest "
        "of every file's sha256. Restore with `manage.py restore DEST`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dest", help="a new or empty folder, outside the data folder")

    def handle(self, *args: Any, dest: str, **options: Any) -> None:
        try:
            source = backup.source_from_settings()
            manifest = backup.backup(source, Path(dest), say=self.stdout.write)
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
        if manifest["holds_secrets"]:
            self.stdout.write(
                "This backup holds the secret key and/or the encryption key of the workspaces' "
                "LTX keys: keep it as private as the data folder (its files are 0600, its "
                "folders 0700)."
            )
        for name in manifest["secrets_not_included"]:
            self.stderr.write(
                self.style.WARNING(
                    f"{name} comes from the environment, so it is not in this backup: keep it "
                    "safe beside the backup and set it again when you restore (without it, "
                    + (
                        "everyone is logged out"
                        if name == "DJANGO_SECRET_KEY"
                        else "the workspaces' own LTX keys cannot be decrypted"
                    )
                    + ")."
                )
            )
        for item in manifest["missing"]:
            self.stderr.write(
                self.style.WARNING(
                    f"{item['path']} is referenced by the database but was already missing from "
                    "the live data folder; it is not in the backup."
                )
            )
        for item in manifest["not_included"]:
            self.stdout.write(f"Not included: {item['path']}: {item['why']}.")
