"""Login throttling (django-axes): a username tried from one address is locked after the limit."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
WRONG = {"username": "alice", "password": "not-her-password"}
RIGHT = {"username": "alice", "password": "alice-pass-123"}


def _fail(client, times: int) -> list[int]:
    return [client.post(LOGIN, WRONG).status_code for _ in range(times)]


def test_it_locks_out_after_ten_wrong_passwords_even_with_the_right_one(client, owner, settings):
    assert settings.AXES_ENABLED and settings.AXES_FAILURE_LIMIT == 10
    codes = _fail(client, 10)
    assert codes[:9] == [200] * 9  # the form again, with its message
    assert codes[9] == 429  # the tenth trips the lock

    response = client.post(LOGIN, RIGHT)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many attempts" in page
    assert "Try again in 15 minutes" in page
    assert 'class="brand"' in page  # the product's page, not a bare message
    assert client.get("/").status_code == 302  # not logged in


def test_it_shows_the_lockout_with_the_cool_off_from_the_environment(client, owner, settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=2)  # LTXDASH_LOGIN_COOLOFF_MINUTES=2
    _fail(client, 3)
    response = client.post(LOGIN, RIGHT)
    assert response.status_code == 429
    assert "Try again in 2 minutes" in response.content.decode()


def test_a_lockout_holds_for_that_address_only(client, owner):
    _fail(client, 10)
    elsewhere = Client(REMOTE_ADDR="192.0.2.7")
    assert elsewhere.post(LOGIN, RIGHT).status_code == 302  # alice from her own desk


def test_behind_the_proxy_it_counts_the_address_the_proxy_saw(owner, settings):
    settings.LTXDASH_HTTPS = True
    # Everyone comes from the proxy (127.0.0.1); the last X-Forwarded-For entry is the client,
    # whatever the client itself put in front of it.
    attacker = Client(HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.5")
    for _ in range(10):
        attacker.post(LOGIN, WRONG, headers={"X-Forwarded-For": "1.2.3.4, 203.0.113.5"})
    assert attacker.post(LOGIN, RIGHT).status_code == 429
    alice = Client(HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert alice.post(LOGIN, RIGHT).status_code == 302


def test_a_success_starts_the_count_over(client, owner):
    _fail(client, 9)
    assert client.post(LOGIN, RIGHT).status_code == 302
    client.post("/accounts/logout/")
    assert _fail(client, 9) == [200] * 9
    assert client.post(LOGIN, RIGHT).status_code == 302


def test_an_admin_lifts_a_lockout_by_username(client, owner):
    _fail(client, 10)
    assert client.post(LOGIN, RIGHT).status_code == 429
    call_command("axes_reset_username", "alice")
    assert client.post(LOGIN, RIGHT).status_code == 302


def test_the_admin_lists_the_lockouts(client, owner):
    from tests.factories import make_user

    _fail(client, 10)
    root = make_user("root", superuser=True)
    admin = Client()
    admin.force_login(root)
    page = admin.get("/admin/axes/accessattempt/")
    assert page.status_code == 200
    assert "alice" in page.content.decode()


def test_the_admin_login_is_throttled_too(client, owner):
    for _ in range(10):
        client.post("/admin/login/", WRONG)
    response = client.post("/admin/login/", RIGHT)
    assert response.status_code == 429


def test_a_forged_or_missing_address_does_not_break_the_login(owner, settings):
    settings.LTXDASH_HTTPS = True
    garbage = Client(HTTP_X_FORWARDED_FOR="<script>, not-an-ip")
    assert garbage.post(LOGIN, WRONG).status_code == 200  # counted by the proxy's own address
    assert garbage.post(LOGIN, RIGHT).status_code == 302
    no_address = Client(REMOTE_ADDR="")
    assert no_address.post(LOGIN, RIGHT).status_code == 302


def _wrong_for(client, username: str) -> int:
    return client.post(LOGIN, {"username": username, "password": "wrong"}).status_code


def test_one_address_spraying_many_usernames_is_paused_whatever_the_username(owner, settings):
    """Per username and address, a sprayer never meets the limit of 10: each username gets a
    few tries. The address as a whole has LTXDASH_LOGIN_ADDRESS_LIMIT failures."""
    settings.LTXDASH_LOGIN_ADDRESS_LIMIT = 12
    sprayer = Client(REMOTE_ADDR="203.0.113.9")
    codes = [_wrong_for(sprayer, f"user{n}") for n in range(6) for _ in range(2)]
    assert codes == [200] * 12  # 12 failures, never more than 2 per username
    refused = sprayer.post(LOGIN, RIGHT)  # even alice's right password, from that address
    assert refused.status_code == 429
    page = refused.content.decode()
    assert "Logins from this address failed 12 times, whatever the username" in page
    assert sprayer.get("/").status_code == 302  # not logged in
    # Alice from elsewhere is not affected; nor is the admin login's count kept apart.
    assert Client(REMOTE_ADDR="192.0.2.7").post(LOGIN, RIGHT).status_code == 302
    assert sprayer.post("/admin/login/", RIGHT).status_code == 429


def test_a_success_from_the_address_does_not_reset_its_count(owner, settings):
    settings.LTXDASH_LOGIN_ADDRESS_LIMIT = 5
    sprayer = Client(REMOTE_ADDR="203.0.113.10")
    for n in range(4):
        _wrong_for(sprayer, f"user{n}")
    assert sprayer.post(LOGIN, RIGHT).status_code == 302  # 4 < 5: alice gets in
    sprayer.post("/accounts/logout/")
    _wrong_for(sprayer, "user9")
    assert sprayer.post(LOGIN, RIGHT).status_code == 429


def _paused_address(address: str, settings) -> Client:
    """A client at ``address`` after 3 failures with 3 usernames, the limit: paused."""
    settings.LTXDASH_LOGIN_ADDRESS_LIMIT = 3
    sprayer = Client(REMOTE_ADDR=address)
    for n in range(3):
        _wrong_for(sprayer, f"user{n}")
    assert sprayer.post(LOGIN, RIGHT).status_code == 429
    return sprayer


def test_an_admin_lifts_an_address_pause_with_axes_reset_ip(owner, settings):
    sprayer = _paused_address("203.0.113.11", settings)
    call_command("axes_reset_ip", "203.0.113.11")
    assert sprayer.post(LOGIN, RIGHT).status_code == 302


def test_the_address_pause_ends_with_the_cool_off(owner, settings):
    from axes.models import AccessAttempt
    from django.utils import timezone

    sprayer = _paused_address("203.0.113.12", settings)
    # The failures are older than the cool-off (15 minutes): they no longer count.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert sprayer.post(LOGIN, RIGHT).status_code == 302
