"""``manage.py restore SRC``: check a backup against its manifest and restore it into an empty
data folder (``LTXDASH_DATA_DIR``, or ``--data-dir``). ``--check`` only verifies.

The work is in ``ltxdash/core/backup.py``; this picks the folder and says what to do next.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.migrations.loader import MigrationLoader

from ltxdash import env
from ltxdash.core import backup


class Command(BaseCommand):
    help = (
        "Check the backup SRC (every file's size and sha256 against its manifest) and restore "
        "it into an empty data folder: LTXDASH_DATA_DIR, or --data-dir. Nothing is overwritten."
    )
    # Nothing here may touch the (empty) database of the folder being restored into.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("src", help="a folder `manage.py backup` wrote")
        parser.add_argument(
            "--data-dir",
            help="restore into this folder (new or empty) instead of LTXDASH_DATA_DIR",
        )
        parser.add_argument(
            "--check", action="store_true", help="only verify the backup; restore nothing"
        )

    def handle(self, *args: Any, src: str, data_dir: str | None, check: bool, **options: Any):
        default = Path(settings.DATA_DIR)
        target = Path(data_dir).resolve() if data_dir else default
        try:
            if check:
                backup.verify(Path(src), say=self.stdout.write)
            else:
                self._restore(Path(src), target, default)
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
        finally:
            if check or target != default:
                # This run needed no data folder of its own: leave none behind (a restore into
                # it later would find it not empty).
                backup.undo_startup(default, env.created_at_startup())

    def _restore(self, src: Path, target: Path, default: Path) -> None:
        if target == default:
            database = settings.DATABASES["default"]
            embedded = database["ENGINE"] == "django.db.backends.sqlite3" and (
                Path(str(database["NAME"])).resolve() == default / backup.DATABASE
            )
            if not embedded:
                raise CommandError(
                    "DATABASE_URL is set, so ltxdash would not use the restored database. A "
                    "backup restores the embedded default: unset DATABASE_URL, or restore with "
                    "--data-dir and start ltxdash with LTXDASH_DATA_DIR pointing there. For "
                    'PostgreSQL use pg_restore (README, "Backup and restore").'
                )
        known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
        manifest = backup.restore(
            src,
            target,
            replaceable=env.created_at_startup(),
            known_migrations=known,
            say=self.stdout.write,
        )
        pending = backup.unapplied(target / backup.DATABASE, known)
        made = manifest.get("finished_at", "?")
        version = manifest.get("ltxdash_version", "?")
        self.stdout.write(f"The backup was made at {made} by ltxdash {version}.")
        if pending:
            self.stdout.write(
                f"This ltxdash has {len(pending)} migration(s) the backup has not: run "
                "`python manage.py migrate` before starting it."
            )
        for name in manifest.get("secrets_not_included", []):
            self.stdout.write(
                self.style.WARNING(
                    f"{name} was set in the environment when the backup was made, so it is not "
                    "in the backup: set it to the same value before starting ltxdash."
                )
            )
        if target != default:
            self.stdout.write(f"Start ltxdash with LTXDASH_DATA_DIR={target}")
