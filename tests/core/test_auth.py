import pytest
from django.contrib.auth import get_user_model

from tests.factories import make_user

pytestmark = pytest.mark.django_db

APP_PAGES = ["/", "/gallery/", "/accounts/password_change/"]


@pytest.mark.parametrize("url", APP_PAGES)
def test_it_sends_anonymous_visitors_to_the_login_page(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_it_shows_the_login_page(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b"Log in" in response.content
    assert b'name="username"' in response.content


def test_it_logs_in_and_out(client, owner):
    response = client.post("/accounts/login/", {"username": "alice", "password": "alice-pass-123"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200

    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_it_refuses_a_wrong_password_with_a_clear_message(client, owner):
    response = client.post("/accounts/login/", {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content


def test_it_changes_a_password(owner_client, owner):
    response = owner_client.post(
        "/accounts/password_change/",
        {
            "old_password": "alice-pass-123",
            "new_password1": "a-new-long-passphrase",
            "new_password2": "a-new-long-passphrase",
        },
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("a-new-long-passphrase")


def test_admin_is_for_staff_only(client, owner):
    client.force_login(owner)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")

    staff = make_user("root", superuser=True)
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200


def test_the_demo_user_is_made_only_on_an_empty_database(db, capsys):
    from django.core.management import call_command

    call_command("ensure_demo_user")
    out = capsys.readouterr().out
    assert "username: demo" in out
    demo = get_user_model().objects.get(username="demo")
    password = out.split("password: ")[1].split()[0]
    assert demo.check_password(password) and demo.is_superuser

    call_command("ensure_demo_user")
    assert capsys.readouterr().out == ""
    assert get_user_model().objects.count() == 1
