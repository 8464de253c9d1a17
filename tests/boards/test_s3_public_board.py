"""Board links with media on S3 (a real S3 server): a presigned redirect within the link's
expiry, the download as an attachment, nothing once revoked."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.test import Client

from ltxdash.boards.models import BoardLink

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("s3_media")]


def _presigned(response) -> str:
    assert response.status_code == 302, response.status_code
    return response["Location"]


def _lifetime(url: str) -> int:
    return int(parse_qs(urlsplit(url).query)["X-Amz-Expires"][0])


def test_a_board_link_redirects_within_its_expiry_and_stops_when_revoked(board):
    link, token = BoardLink.create_for(
        board, timedelta(seconds=90), by=board.created_by, allow_downloads=True
    )
    clip = board.clips().first()
    output = clip.outputs.get()
    url = _presigned(Client().get(f"/b/{token}/files/{output.pk}"))
    assert 88 <= _lifetime(url) <= 90
    download = _presigned(Client().get(f"/b/{token}/download/{output.pk}"))
    answer = httpx.get(download)
    assert answer.headers["content-disposition"].startswith("attachment")
    assert answer.content == output.file.storage.open(output.file.name).read()

    link.revoke()
    assert Client().get(f"/b/{token}/files/{output.pk}").status_code == 404
    assert Client().get(f"/b/{token}/posters/{output.pk}").status_code == 404
