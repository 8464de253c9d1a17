import os
import stat

import pytest
from django.core.exceptions import ImproperlyConfigured

from ltxdash.env import (
    env_bool,
    env_float,
    env_int,
    env_list,
    env_str,
    env_url,
    secret_from_file,
)


def test_it_reads_strings_with_defaults():
    assert env_str("X", "d", environ={}) == "d"
    assert env_str("X", "d", environ={"X": ""}) == "d"
    assert env_str("X", "d", environ={"X": "  value "}) == "value"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        ("YES", True),
        ("on", True),
        ("0", False),
        ("off", False),
        ("", False),
    ],
)
def test_it_reads_booleans(raw, expected):
    assert env_bool("FLAG", not expected, environ={"FLAG": raw}) is expected


def test_it_uses_the_boolean_default_when_unset():
    assert env_bool("FLAG", True, environ={}) is True


def test_it_refuses_an_unclear_boolean():
    with pytest.raises(ImproperlyConfigured, match="FLAG.*'maybe'"):
        env_bool("FLAG", environ={"FLAG": "maybe"})


def test_it_reads_integers_and_checks_their_range():
    assert env_int("N", 2, environ={"N": "7"}) == 7
    assert env_int("N", 2, environ={}) == 2
    with pytest.raises(ImproperlyConfigured, match="N must be a whole number; got 'two'"):
        env_int("N", 2, environ={"N": "two"})
    with pytest.raises(ImproperlyConfigured, match="N must be at least 1"):
        env_int("N", 2, min_value=1, environ={"N": "0"})
    with pytest.raises(ImproperlyConfigured, match="N must be at most 10"):
        env_int("N", 2, max_value=10, environ={"N": "11"})


def test_it_reads_floats_and_refuses_nonsense():
    assert env_float("F", 5.0, environ={"F": "0.25"}) == 0.25
    with pytest.raises(ImproperlyConfigured, match="F must be a number"):
        env_float("F", 5.0, environ={"F": "fast"})
    with pytest.raises(ImproperlyConfigured, match="finite"):
        env_float("F", 5.0, environ={"F": "nan"})
    with pytest.raises(ImproperlyConfigured, match="at least 0.05"):
        env_float("F", 5.0, min_value=0.05, environ={"F": "0"})


def test_it_reads_comma_separated_lists():
    assert env_list("L", ["a"], environ={}) == ["a"]
    assert env_list("L", environ={"L": "x.com, y.com,,"}) == ["x.com", "y.com"]


def test_it_checks_urls():
    assert env_url("U", "http://d", environ={"U": "https://api.example.com/"}) == (
        "https://api.example.com"
    )
    for bad in ("api.example.com", "ftp://x", "https://", "http:///path"):
        with pytest.raises(ImproperlyConfigured, match="U must be a URL"):
            env_url("U", "http://d", environ={"U": bad})


def test_it_generates_a_secret_once_and_keeps_it(tmp_path):
    path = tmp_path / "sub" / "secret_key"
    first = secret_from_file(path)
    assert len(first) >= 50
    assert secret_from_file(path) == first
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_it_reads_choices_time_zones_and_database_urls():
    from ltxdash.env import env_choice, env_database, env_timezone

    assert env_choice("C", "INFO", ("INFO", "DEBUG"), environ={"C": "DEBUG"}) == "DEBUG"
    with pytest.raises(ImproperlyConfigured, match="C must be one of INFO, DEBUG; got 'LOUD'"):
        env_choice("C", "INFO", ("INFO", "DEBUG"), environ={"C": "LOUD"})
    assert env_timezone("TZ", "UTC", environ={"TZ": "Europe/Paris"}) == "Europe/Paris"
    with pytest.raises(ImproperlyConfigured, match="TZ must be a time zone name"):
        env_timezone("TZ", "UTC", environ={"TZ": "Mars/Olympus"})
    assert env_database("D", environ={}) is None
    parsed = env_database("D", environ={"D": "postgres://u:p@db:5432/ltx"})
    assert (parsed["ENGINE"], parsed["NAME"], parsed["HOST"]) == (
        "django.db.backends.postgresql",
        "ltx",
        "db",
    )
    with pytest.raises(ImproperlyConfigured, match="D is not a database URL"):
        env_database("D", environ={"D": "oracle-ish://nope"})


def test_an_optional_url_may_be_unset():
    assert env_url("R", "", schemes=("redis",), environ={}) == ""
    with pytest.raises(ImproperlyConfigured, match="R must be a URL starting with redis://"):
        env_url("R", "", schemes=("redis",), environ={"R": "localhost:6379"})


def test_it_reads_extra_result_origins_and_refuses_a_malformed_one():
    from ltxdash.env import env_origins

    assert env_origins("O", environ={}) == ()
    assert env_origins("O", environ={"O": "https://cdn.test, http://127.0.0.1:9000"}) == (
        "https://cdn.test:443",
        "http://127.0.0.1:9000",
    )
    for bad in ("cdn.test", "https://cdn.test/path", "ftp://x", "https://cdn.test,http://"):
        with pytest.raises(ImproperlyConfigured, match="^O: "):
            env_origins("O", environ={"O": bad})
