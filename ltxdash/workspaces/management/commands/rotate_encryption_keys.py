"""Re-encrypt every workspace's LTX key under the first key of LTXDASH_ENCRYPTION_KEYS.

Run it after putting a new key first in the list (and restarting), before dropping the old one
(README, "The workspace's own LTX key"). A row none of the listed keys decrypts is left as it
was, and the command fails naming it.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ltxdash.core import crypto
from ltxdash.workspaces.models import ApiKey


class Command(BaseCommand):
    help = (
        "Re-encrypt every workspace LTX key under the first key of LTXDASH_ENCRYPTION_KEYS "
        "(the others only decrypt); fails, naming the rows, for keys none of them decrypts."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        rotated = 0
        unreadable: list[int] = []
        for pk, ciphertext in ApiKey.objects.order_by("pk").values_list("pk", "ciphertext"):
            try:
                new = crypto.rotate(ciphertext)
            except crypto.Undecryptable:
                unreadable.append(pk)
                continue
            # Only if nobody replaced it meanwhile (a key is never edited, but be exact).
            rotated += ApiKey.objects.filter(pk=pk, ciphertext=ciphertext).update(ciphertext=new)
        self.stdout.write(
            f"Re-encrypted {rotated} workspace LTX key{'s' if rotated != 1 else ''} "
            "under the first key of LTXDASH_ENCRYPTION_KEYS."
        )
        if unreadable:
            ids = ", ".join(str(pk) for pk in unreadable)
            raise CommandError(
                f"{len(unreadable)} workspace LTX key{'s' if len(unreadable) != 1 else ''} "
                f"(ApiKey id {ids}) could not be decrypted with any key of "
                "LTXDASH_ENCRYPTION_KEYS and were left as they were. Put the key they were "
                "encrypted with back in the list (after the first) and run this again, or set "
                "those workspaces' keys again on their key page."
            )
