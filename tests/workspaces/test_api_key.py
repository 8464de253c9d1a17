"""The workspace's own LTX key page: set (checked with the simulator over HTTP first), refused,
unreachable, replaced, its jobs at once changed, stopped; who may do it; and the key itself in
no answer of the whole flow (only its last four characters)."""

from __future__ import annotations

import logging
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from ltxdash.workspaces import current
from ltxdash.workspaces.models import ApiKey, Membership, Role, Workspace
from tests.factories import make_user
from tests.fixtures.simulator import free_port

pytestmark = pytest.mark.django_db

GOOD = "ltx-sk-good-5f1e2d3c4b5a-9w8x"
OTHER = "ltx-sk-other-1a2b3c4d5e6f-7y6z"
BAD = "ltx-sk-refused-0000000000-q1q1"
SERVER_KEY = "sk-server-key-never-shown-XYZW"
PAGE = "workspaces:api_key"


@pytest.fixture
def team(db, settings, ltx_simulator):
    settings.LTX_API_BASE_URL = ltx_simulator.url
    settings.LTX_API_KEY = SERVER_KEY
    settings.LTX_MAX_CONCURRENCY = 2
    studio = Workspace.objects.create(name="Studio", slug="studio")
    people = {"studio": studio, "sim": ltx_simulator}
    for name, role in (("ann", Role.ADMIN), ("cem", Role.CREATOR), ("vik", Role.VIEWER)):
        people[name] = make_user(name)
        Membership.objects.create(workspace=studio, user=people[name], role=role)
        current.choose(people[name], studio)
    return people


def text(response) -> str:
    """The page as read (entities decoded)."""
    return unescape(response.content.decode())


class Recording(Client):
    """A client that keeps every answer's body, to look for the key in all of them."""

    def __init__(self, user) -> None:
        super().__init__()
        self.force_login(user)
        self.bodies: list[bytes] = []

    def request(self, *args, **kwargs):
        response = super().request(*args, **kwargs)
        self.bodies.append(response.content)
        for key, value in response.items():
            self.bodies.append(f"{key}: {value}".encode())
        return response

    def page(self) -> str:
        response = self.get(reverse(PAGE))
        assert response.status_code == 200
        return text(response)

    def save(self, key: str = "", jobs: str = "", follow: bool = True):
        return self.post(reverse(PAGE), {"key": key, "max_concurrency": jobs}, follow=follow)

    def nowhere(self, *secrets: str) -> None:
        for body in self.bodies:
            for secret in secrets:
                assert secret.encode() not in body
                assert secret[:-4].encode() not in body


def test_a_good_key_is_checked_with_ltx_saved_encrypted_and_shown_masked(team, caplog):
    caplog.set_level(logging.DEBUG)
    ann = Recording(team["ann"])
    assert "Uses the server's key" in ann.page()

    response = ann.save(f"  {GOOD}\n", "3")  # pasted with whitespace around it

    assert response.redirect_chain == [(reverse(PAGE), 302)]
    html = text(response)
    assert "Key ••••9w8x saved; new clips are sent with it." in html
    assert "Own key <strong>••••9w8x</strong>" in html
    assert "by ann, 3 jobs at once." in html
    stored = ApiKey.in_use(team["studio"])
    assert stored is not None
    assert stored.secret() == GOOD and stored.last4 == "9w8x" and stored.max_concurrency == 3
    assert stored.created_by == team["ann"]
    assert GOOD not in stored.ciphertext and GOOD[:-4] not in stored.ciphertext
    # The check was one GET with this key, at the simulator over HTTP.
    account = team["sim"].stats()["accounts"][team["sim"].fingerprint(GOOD)]
    assert account["submits"] == 0 and account["responses"] == {"404": 1}
    ann.nowhere(GOOD, SERVER_KEY)
    assert GOOD not in caplog.text and SERVER_KEY not in caplog.text


def test_a_key_ltx_refuses_is_not_saved(team):
    team["sim"].account(BAD, invalid_key=True)
    ann = Recording(team["ann"])

    response = ann.save(BAD)

    assert response.status_code == 422
    assert "LTX did not accept this key." in text(response)
    assert not ApiKey.objects.exists()
    ann.nowhere(BAD, SERVER_KEY)


def test_when_ltx_cannot_be_reached_nothing_is_saved(team, settings):
    ann = Recording(team["ann"])
    settings.LTX_API_BASE_URL = f"http://127.0.0.1:{free_port()}"  # nothing listens there

    response = ann.save(GOOD)

    assert response.status_code == 422
    html = text(response)
    assert (
        "Could not reach LTX to check the key (no answer: the connection failed or timed out)"
        in html
    )
    assert "try again" in html
    assert not ApiKey.objects.exists()
    ann.nowhere(GOOD)


def test_a_server_error_during_the_check_saves_nothing(team):
    team["sim"].configure(error_rate=1.0, fault_targets=["poll"])
    ann = Recording(team["ann"])

    response = ann.save(GOOD)

    assert response.status_code == 422
    assert "Could not reach LTX to check the key (LTX answered HTTP 5" in text(response)
    assert not ApiKey.objects.exists()
    ann.nowhere(GOOD)


@pytest.mark.parametrize(
    "pasted", ["ltx sk with spaces", "ltx-sk\tab", "ltx-\x07bell", "ltx-sk-•••"]
)
def test_a_key_with_spaces_or_invisible_characters_is_refused_before_asking_ltx(team, pasted):
    ann = Recording(team["ann"])

    response = ann.save(pasted)

    assert response.status_code == 422
    assert "no spaces, line breaks or other invisible characters" in text(response)
    assert not ApiKey.objects.exists()
    assert team["sim"].stats()["accounts"] == {}  # LTX was not asked


def test_no_key_and_none_in_use_asks_for_one(team):
    response = Recording(team["ann"]).save("", "4")
    assert response.status_code == 422
    assert "Enter the workspace's LTX API key." in text(response)


def test_jobs_at_once_is_one_to_a_thousand(team):
    ann = Recording(team["ann"])
    for jobs in ("0", "1001", "two"):
        assert ann.save(GOOD, jobs).status_code == 422
    assert not ApiKey.objects.exists()
    assert "empty: 2, the server's default" in ann.page()


def test_replacing_the_key_retires_the_old_one(team):
    ann = Recording(team["ann"])
    ann.save(GOOD, "3")
    first = ApiKey.in_use(team["studio"])

    response = ann.save(OTHER)

    assert "Key ••••7y6z saved; new clips are sent with it." in text(response)
    first.refresh_from_db()
    assert first.retired_at is not None
    now = ApiKey.in_use(team["studio"])
    assert now.secret() == OTHER and now.max_concurrency is None and now.concurrency == 2
    assert "2 jobs at once (the server's default)" in text(response)
    ann.nowhere(GOOD, OTHER)


def test_changing_only_jobs_at_once_keeps_the_key(team):
    ann = Recording(team["ann"])
    ann.save(GOOD)
    before = ApiKey.in_use(team["studio"])
    checks = team["sim"].stats()["accounts"][team["sim"].fingerprint(GOOD)]["responses"]

    response = ann.save("", "5")

    assert "Key ••••9w8x now runs 5 jobs at once." in text(response)
    after = ApiKey.in_use(team["studio"])
    # The same row, the same secret: only its limit changed (no new check with LTX).
    assert after.pk == before.pk and after.ciphertext == before.ciphertext
    assert after.max_concurrency == 5 and ApiKey.objects.count() == 1
    assert team["sim"].stats()["accounts"][team["sim"].fingerprint(GOOD)]["responses"] == checks
    # The form shows the limit in use, never the key.
    html = ann.page()
    assert 'name="max_concurrency" value="5"' in html
    assert 'type="password" name="key"' in html and 'autocomplete="off"' in html
    ann.nowhere(GOOD)


def test_stopping_the_key_goes_back_to_the_servers_key(team):
    ann = Recording(team["ann"])
    ann.save(GOOD)
    assert "Stop using this key" in ann.page()

    response = ann.post(reverse("workspaces:stop_api_key"), follow=True)

    html = text(response)
    assert "Key ••••9w8x is no longer used: new clips are sent with the server's key." in html
    assert "Uses the server's key" in html
    assert ApiKey.in_use(team["studio"]) is None
    assert ApiKey.objects.get().secret() == GOOD  # kept, for the jobs it sent
    again = ann.post(reverse("workspaces:stop_api_key"), follow=True)
    assert "already uses the server's key" in text(again)
    ann.nowhere(GOOD, SERVER_KEY)


def test_only_admins_see_the_link_and_reach_the_page(team):
    ApiKey.store(team["studio"], GOOD, team["ann"])
    members = reverse("workspaces:members")
    assert reverse(PAGE) in Recording(team["ann"]).get(members).content.decode()
    for name in ("cem", "vik"):
        client = Recording(team[name])
        assert reverse(PAGE) not in client.get(members).content.decode()
        for response in (
            client.get(reverse(PAGE)),
            client.post(reverse(PAGE), {"key": OTHER}),
            client.post(reverse("workspaces:stop_api_key")),
        ):
            assert response.status_code == 403
            assert response["X-Ltxdash-Message"] == (
                "Only an admin of the workspace may manage its LTX key."
            )
        client.nowhere(GOOD)
    assert ApiKey.in_use(team["studio"]).secret() == GOOD
    anonymous = Client().get(reverse(PAGE))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")


def test_an_admin_of_another_workspace_sees_only_their_own(team):
    ApiKey.store(team["studio"], GOOD, team["ann"])
    olga = Recording(make_user("olga"))  # admin of a personal workspace
    assert "Uses the server's key" in olga.page()
    olga.post(reverse("workspaces:stop_api_key"))
    assert ApiKey.in_use(team["studio"]) is not None
    olga.nowhere(GOOD)


def test_an_error_report_of_the_page_hides_the_key(team, rf):
    """Were the view to fail, Django's error report (the debug page, the admins' email) shows
    the posted key as stars."""
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.views.debug import SafeExceptionReporterFilter

    from ltxdash.workspaces.views import api_key

    request = rf.post(reverse(PAGE), {"key": GOOD, "max_concurrency": ""})
    request.user = team["ann"]
    request.session = {}
    request._messages = FallbackStorage(request)
    api_key(request)

    cleaned = SafeExceptionReporterFilter().get_post_parameters(request)
    assert cleaned["key"] == SafeExceptionReporterFilter.cleansed_substitute
    assert cleaned["max_concurrency"] == ""
