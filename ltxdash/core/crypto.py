"""Secrets we must be able to read back (a workspace's LTX key), encrypted at rest.

Fernet (AES-128-CBC with an HMAC-SHA256, from ``cryptography``) under ``LTXDASH_ENCRYPTION_KEYS``:
the first key encrypts, every listed key decrypts, so a new key can be put in front, the stored
secrets re-encrypted (``manage.py rotate_encryption_keys``) and the old key then dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class Undecryptable(Exception):
    """A stored secret that none of LTXDASH_ENCRYPTION_KEYS opens (the key it was made with was
    dropped, or the value was altered)."""


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.LTXDASH_ENCRYPTION_KEYS))


def encrypt(secret: str) -> str:
    return _current().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str:
    return _open(_current().decrypt, token)


def rotate(token: str) -> str:
    """The same secret, encrypted under the first key (raises Undecryptable like decrypt)."""
    return _open(_current().rotate, token)


def _open(step: Callable[[bytes], bytes], token: str) -> str:
    try:
        return step(token.encode()).decode()
    except InvalidToken:
        raise Undecryptable(
            "A stored secret could not be decrypted with LTXDASH_ENCRYPTION_KEYS"
        ) from None
