"""System checks that talk to the outside, so they run only when asked for:
``manage.py check --deploy`` (and ``serve`` before it starts anything). A plain command (migrate,
shell) never waits on the network for them."""

from __future__ import annotations

from typing import Any

from django.core import checks

from ltxdash.core import media_storage


@checks.register("ltxdash", deploy=True)
def media_storage_reachable(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """With media on S3: the bucket answers, with these credentials."""
    report = media_storage.check()
    if report["ok"]:
        return []
    return [
        checks.Error(
            f"Media storage (LTXDASH_S3_BUCKET) is not usable: {report['error']}.",
            hint="Check LTXDASH_S3_ENDPOINT_URL, LTXDASH_S3_REGION and the credentials "
            "(LTXDASH_S3_ACCESS_KEY_ID / LTXDASH_S3_SECRET_ACCESS_KEY, or boto3's own), and that "
            "the bucket exists.",
            id="ltxdash.E001",
        )
    ]
