"""The LTX API key never reaches a page, a fragment or an admin screen."""

import pytest

from tests.factories import make_user

SECRET = "ltx-test-key-5f0c1e9b-must-never-show"

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, settings):
    settings.LTX_API_KEY = SECRET
    settings.LTX_SIMULATED = False
    staff = make_user("ops", superuser=True)
    client.force_login(staff)
    return client


PAGES = [
    "/",
    "/?mode=image-to-video",
    "/gallery/",
    "/accounts/password_change/",
    "/admin/",
    "/admin/generations/generation/",
    "/admin/generations/dispatchstate/",
    "/admin/workspaces/apikey/",
    "/workspaces/key/",  # the workspace's own key page: "Uses the server's key", no more
    "/healthz",
]


@pytest.mark.parametrize("url", PAGES)
def test_it_keeps_the_api_key_out_of_every_page(staff_client, url):
    response = staff_client.get(url)
    assert response.status_code in (200, 503)
    assert SECRET.encode() not in response.content
    assert b"Simulator" not in response.content  # a key is set: the real API is in use


def test_it_keeps_the_api_key_out_of_form_errors(staff_client):
    response = staff_client.post(
        "/", {"mode": "text-to-video", "prompt": ""}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 422
    assert SECRET.encode() not in response.content


def test_it_keeps_the_api_key_out_of_the_404_page(staff_client):
    response = staff_client.get("/gallery/999999/")
    assert response.status_code == 404
    assert SECRET.encode() not in response.content
