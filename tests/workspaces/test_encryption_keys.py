"""LTXDASH_ENCRYPTION_KEYS for real: reading them (a bad one stops start-up, none means one
generated into a private file), and rotating every stored workspace key under a new one with
``manage.py rotate_encryption_keys``."""

from __future__ import annotations

import io
import stat

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command, execute_from_command_line

from ltxdash.core import crypto
from ltxdash.env import env_fernet_keys
from ltxdash.workspaces.models import ApiKey
from tests.factories import make_user, workspace_of

A = Fernet.generate_key().decode()
B = Fernet.generate_key().decode()
C = Fernet.generate_key().decode()
SECRET = "ltx-sk-rotate-me-0123456789-abcd"


def rotate() -> str:
    out = io.StringIO()
    call_command("rotate_encryption_keys", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_rotation_re_encrypts_every_key_under_the_first_so_the_old_one_can_go(settings):
    settings.LTXDASH_ENCRYPTION_KEYS = [A]
    ann, bob = make_user("ann"), make_user("bob")
    ApiKey.store(workspace_of(ann), "ltx-sk-retired-0000-wxyz", ann)
    ApiKey.store(workspace_of(ann), SECRET, ann)
    ApiKey.store(workspace_of(bob), "ltx-sk-bobs-1111-efgh", bob)
    before = dict(ApiKey.objects.values_list("pk", "ciphertext"))

    settings.LTXDASH_ENCRYPTION_KEYS = [B, A]  # the new key first, the old one still listed
    assert "Re-encrypted 3 workspace LTX keys" in rotate()

    after = dict(ApiKey.objects.values_list("pk", "ciphertext"))
    assert all(after[pk] != before[pk] for pk in before)
    settings.LTXDASH_ENCRYPTION_KEYS = [B]  # the old key dropped
    assert ApiKey.in_use(workspace_of(ann)).secret() == SECRET
    assert sorted(key.secret() for key in ApiKey.objects.all()) == sorted(
        ["ltx-sk-retired-0000-wxyz", SECRET, "ltx-sk-bobs-1111-efgh"]
    )
    settings.LTXDASH_ENCRYPTION_KEYS = [A]
    with pytest.raises(crypto.Undecryptable):
        ApiKey.in_use(workspace_of(ann)).secret()


@pytest.mark.django_db
def test_a_key_none_of_the_keys_opens_fails_the_command_and_is_left_as_it_was(settings):
    settings.LTXDASH_ENCRYPTION_KEYS = [A]
    ann, bob = make_user("ann"), make_user("bob")
    lost = ApiKey.store(workspace_of(ann), SECRET, ann)
    settings.LTXDASH_ENCRYPTION_KEYS = [C]
    kept = ApiKey.store(workspace_of(bob), "ltx-sk-bobs-1111-efgh", bob)

    settings.LTXDASH_ENCRYPTION_KEYS = [B, C]  # A is gone
    with pytest.raises(CommandError) as failure:
        call_command("rotate_encryption_keys", stdout=io.StringIO())

    assert f"(ApiKey id {lost.pk})" in str(failure.value)
    assert "LTXDASH_ENCRYPTION_KEYS" in str(failure.value)
    assert ApiKey.objects.get(pk=lost.pk).ciphertext == lost.ciphertext  # untouched
    settings.LTXDASH_ENCRYPTION_KEYS = [B]
    assert ApiKey.objects.get(pk=kept.pk).secret() == "ltx-sk-bobs-1111-efgh"  # rotated anyway


@pytest.mark.django_db
def test_the_command_exits_non_zero_for_an_operator(settings, capsys):
    settings.LTXDASH_ENCRYPTION_KEYS = [A]
    ann = make_user("ann")
    lost = ApiKey.store(workspace_of(ann), SECRET, ann)
    settings.LTXDASH_ENCRYPTION_KEYS = [B]

    with pytest.raises(SystemExit) as leaving:
        execute_from_command_line(["manage.py", "rotate_encryption_keys"])

    assert leaving.value.code == 1
    assert f"(ApiKey id {lost.pk})" in capsys.readouterr().err


def test_env_fernet_keys_reads_a_comma_separated_list_newest_first(tmp_path):
    keys = env_fernet_keys(
        "LTXDASH_ENCRYPTION_KEYS", tmp_path / "k", environ={"LTXDASH_ENCRYPTION_KEYS": f"{B}, {A}"}
    )
    assert keys == [B, A]
    assert not (tmp_path / "k").exists()


@pytest.mark.parametrize(
    ("bad", "which"),
    [("not-a-key", 1), (A[:-4], 1), (f"{A},{B[:20]}", 2)],
    ids=["not-a-key", "too-short", "second-cut-off"],  # the keys are random: ids stay the same
)
def test_env_fernet_keys_refuses_a_bad_key_naming_the_variable(tmp_path, bad, which):
    with pytest.raises(ImproperlyConfigured) as refused:
        env_fernet_keys(
            "LTXDASH_ENCRYPTION_KEYS", tmp_path / "k", environ={"LTXDASH_ENCRYPTION_KEYS": bad}
        )
    assert str(refused.value).startswith(
        f"LTXDASH_ENCRYPTION_KEYS: key {which} is not a Fernet key"
    )
    assert bad.split(",")[-1] not in str(refused.value)  # the value itself is not echoed


def test_env_fernet_keys_generates_one_into_a_private_file_when_unset(tmp_path):
    path = tmp_path / "data" / "encryption_key"
    first = env_fernet_keys("LTXDASH_ENCRYPTION_KEYS", path, environ={})
    assert len(first) == 1
    Fernet(first[0].encode())  # a usable Fernet key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == first[0]
    assert env_fernet_keys("LTXDASH_ENCRYPTION_KEYS", path, environ={}) == first
