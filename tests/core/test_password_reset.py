"""Password reset: off (404, no link) unless mail is configured; the product's pages when on."""

import re

import pytest
from django.core import mail

from tests.factories import make_user

pytestmark = pytest.mark.django_db

RESET_URLS = [
    "/accounts/password_reset/",
    "/accounts/password_reset/done/",
    "/accounts/reset/MQ/set-password/",
    "/accounts/reset/done/",
]


@pytest.mark.parametrize("url", RESET_URLS)
def test_it_has_no_reset_pages_without_mail(client, url, settings):
    assert settings.LTXDASH_PASSWORD_RESET is False  # no LTXDASH_EMAIL_URL in the tests
    assert client.get(url).status_code == 404


def test_the_login_page_offers_no_reset_without_mail(client):
    assert b"Forgot password?" not in client.get("/accounts/login/").content


@pytest.fixture
def mail_on(settings):
    settings.LTXDASH_PASSWORD_RESET = True
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


def test_with_mail_it_resets_a_password_through_the_product_pages(client, mail_on):
    user = make_user("carol", email="carol@example.com")
    login = client.get("/accounts/login/").content.decode()
    assert 'href="/accounts/password_reset/">Forgot password?' in login

    form = client.get("/accounts/password_reset/")
    _assert_product_page(form.content.decode(), "Reset your password")
    done = client.post("/accounts/password_reset/", {"email": "carol@example.com"}, follow=True)
    _assert_product_page(done.content.decode(), "Check your email")

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["carol@example.com"]
    assert message.subject == "Choose a new ltxdash password"
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", message.body)
    assert link, message.body

    confirm = client.get(link.group(1), follow=True)
    _assert_product_page(confirm.content.decode(), "Choose a new password")
    complete = client.post(
        confirm.redirect_chain[-1][0],
        {"new_password1": "brand-new-passphrase-9", "new_password2": "brand-new-passphrase-9"},
        follow=True,
    )
    _assert_product_page(complete.content.decode(), "Password changed")
    user.refresh_from_db()
    assert user.check_password("brand-new-passphrase-9")


def test_with_mail_an_unknown_address_gets_the_same_answer_and_no_mail(client, mail_on):
    response = client.post("/accounts/password_reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password_reset/done/"
    assert mail.outbox == []


def test_with_mail_a_used_link_says_so_in_words(client, mail_on):
    response = client.get("/accounts/reset/MQ/not-a-valid-token/")
    _assert_product_page(response.content.decode(), "This link no longer works")


def _assert_product_page(html: str, heading: str) -> None:
    assert f"<h1>{heading}</h1>" in html
    assert 'class="brand"' in html and "css/ltxdash.css" in html
    assert "Django administration" not in html and "Django site admin" not in html
