"""Users file, password and token checks, the role matrix, and ``python -m assistant.serve.auth``."""

from __future__ import annotations

import io
import time
import tomllib
from pathlib import Path

import bcrypt
import pytest

from assistant.serve import auth
from assistant.serve.auth import (
    PERMISSIONS,
    AuthConfigError,
    config_path,
    hash_password,
    load_auth_config,
    new_token,
)

HASH = hash_password("s3cret", rounds=4)
TOKEN, TOKEN_SHA = new_token()


def write(tmp_path: Path, text: str, name: str = "users.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


VALID = f"""
[users.alice]
role = "rm"
portfolio = ["Acme", "星河科技"]
password_hash = "{HASH}"

[users.bob]
role = "analyst"
portfolio = "*"
password_hash = "{HASH}"

[users.root]
role = "admin"
password_hash = "{HASH}"

[tokens.crm-sync]
role = "analyst"
portfolio = ["Acme"]
sha256 = "{TOKEN_SHA}"
"""


def test_valid_toml_users_and_tokens(tmp_path: Path) -> None:
    config = load_auth_config(write(tmp_path, VALID))
    alice = config.verify_password("alice", "s3cret")
    assert alice is not None and alice.role == "rm" and alice.portfolio == frozenset({"Acme", "星河科技"})
    assert alice.sees("Acme") and not alice.sees("Brightfold")
    bob = config.verify_password("bob", "s3cret")
    assert bob is not None and bob.allowed is None and bob.sees("anything")
    root = config.verify_password("root", "s3cret")
    assert root is not None and root.role == "admin" and root.allowed is None
    bot = config.verify_token(TOKEN)
    assert (
        bot is not None
        and bot.name == "crm-sync"
        and bot.via == "token"
        and bot.allowed == frozenset({"Acme"})
    )
    assert config.user("alice") == alice and config.user("nobody") is None


def test_wrong_passwords_and_tokens_are_refused(tmp_path: Path) -> None:
    config = load_auth_config(write(tmp_path, VALID))
    assert config.verify_password("alice", "wrong") is None
    assert config.verify_password("mallory", "s3cret") is None
    assert config.verify_password("alice", "x" * 100) is None  # over bcrypt's 72 bytes: never a password
    assert config.verify_password("alice", "") is None
    assert config.verify_token(TOKEN + "x") is None
    assert config.verify_token(TOKEN_SHA) is None  # the stored hash is not the token


def test_successful_password_checks_are_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_auth_config(write(tmp_path, VALID))
    calls = []
    real = bcrypt.checkpw

    def counting(password: bytes, hashed: bytes) -> bool:
        calls.append(password)
        return real(password, hashed)

    monkeypatch.setattr(auth.bcrypt, "checkpw", counting)
    for _ in range(3):
        assert config.verify_password("alice", "s3cret") is not None
    assert len(calls) == 1
    for _ in range(2):  # failures are never cached: each costs a bcrypt check
        assert config.verify_password("alice", "nope") is None
    assert len(calls) == 3


def test_parallel_sign_ins_share_one_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    config = load_auth_config(write(tmp_path, VALID))
    calls = []
    real = bcrypt.checkpw

    def slow(password: bytes, hashed: bytes) -> bool:
        calls.append(password)
        time.sleep(0.2)
        return real(password, hashed)

    monkeypatch.setattr(auth.bcrypt, "checkpw", slow)
    found = []
    threads = [
        threading.Thread(target=lambda: found.append(config.verify_password("alice", "s3cret")))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(found) == 8 and all(p is not None and p.name == "alice" for p in found)


def test_yaml_is_read_too(tmp_path: Path) -> None:
    text = f"""
users:
  carol:
    role: rm
    portfolio: [Acme]
    password_hash: "{HASH}"
tokens:
  bot:
    role: admin
    sha256: "{TOKEN_SHA}"
"""
    config = load_auth_config(write(tmp_path, text, "users.yaml"))
    carol = config.verify_password("carol", "s3cret")
    assert carol is not None and carol.allowed == frozenset({"Acme"})
    bot = config.verify_token(TOKEN)
    assert bot is not None and bot.role == "admin" and bot.allowed is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[users.alice\nrole = 'rm'", "not valid TOML"),
        (
            f'[users.alice]\nrole = "manager"\nportfolio = "*"\npassword_hash = "{HASH}"',
            "role must be one of rm, analyst, admin",
        ),
        (
            '[users.alice]\nrole = "rm"\nportfolio = "*"\npassword = "hunter2"',
            "plain-text 'password' is not accepted",
        ),
        (
            '[users.alice]\nrole = "rm"\nportfolio = "*"\npassword_hash = "hunter2"',
            "password_hash must be a bcrypt hash",
        ),
        (f'[users.alice]\nrole = "rm"\npassword_hash = "{HASH}"', "portfolio is missing"),
        (
            f'[users.alice]\nrole = "rm"\nportfolio = "Acme"\npassword_hash = "{HASH}"',
            "portfolio must be a list",
        ),
        (f'[users.alice]\nrole = "rm"\nportfolio = ["*", "Acme"]\npassword_hash = "{HASH}"', "mixes"),
        (
            f'[users.alice]\nrole = "admin"\nportfolio = ["Acme"]\npassword_hash = "{HASH}"',
            "an admin sees every company",
        ),
        (
            f'[users.alice]\nrole = "rm"\nportfolio = "*"\npasword_hash = "{HASH}"',
            "unknown key 'pasword_hash'",
        ),
        (
            f'[users."al ice"]\nrole = "rm"\nportfolio = "*"\npassword_hash = "{HASH}"',
            "users.al ice: a name is",
        ),
        ('[tokens.bot]\nrole = "rm"\nportfolio = "*"\nsha256 = "abc"', "sha256 must be 64 hexadecimal"),
        ('[tokens.bot]\nrole = "rm"\nportfolio = "*"\ntoken = "asst_x"', "never the token"),
        (
            f'[tokens.a]\nrole = "rm"\nportfolio = "*"\nsha256 = "{TOKEN_SHA}"\n'
            '[tokens.b]\nrole = "rm"\nportfolio = "*"\n'
            f'sha256 = "{TOKEN_SHA}"',
            "the same token as tokens.a",
        ),
        (
            f'[users.x]\nrole = "rm"\nportfolio = "*"\npassword_hash = "{HASH}"\n'
            '[tokens.x]\nrole = "rm"\nportfolio = "*"\n'
            f'sha256 = "{TOKEN_SHA}"',
            "also a user's",
        ),
        ("[groups.x]\n", "unknown section 'groups'"),
        ("users = 3\n", "'users' must be a table"),
        ("", "defines no users and no tokens"),
    ],
)
def test_malformed_config_names_file_and_reason(tmp_path: Path, text: str, reason: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(AuthConfigError) as err:
        load_auth_config(path)
    assert str(err.value).startswith(f"{path}: ")
    assert reason in str(err.value)


def test_unreadable_or_unknown_files(tmp_path: Path) -> None:
    with pytest.raises(AuthConfigError, match=r"missing\.toml: no such file .*ASSISTANT_AUTH_CONFIG"):
        load_auth_config(tmp_path / "missing.toml")
    with pytest.raises(AuthConfigError, match=r"users\.ini: unknown format"):
        load_auth_config(write(tmp_path, VALID, "users.ini"))
    with pytest.raises(AuthConfigError, match="not valid YAML"):
        load_auth_config(write(tmp_path, "users: [unclosed", "users.yml"))
    bad = tmp_path / "latin1.toml"
    bad.write_bytes("[users.é]".encode("latin-1"))
    with pytest.raises(AuthConfigError, match="not UTF-8"):
        load_auth_config(bad)


def test_config_path_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASSISTANT_AUTH_CONFIG", raising=False)
    assert config_path() is None
    monkeypatch.setenv("ASSISTANT_AUTH_CONFIG", str(tmp_path / "env.toml"))
    assert config_path() == tmp_path / "env.toml"

    class WithSetting:
        auth_config = tmp_path / "setting.toml"

    assert config_path(settings=WithSetting()) == tmp_path / "setting.toml"
    assert config_path(tmp_path / "arg.toml", WithSetting()) == tmp_path / "arg.toml"


def test_role_matrix() -> None:
    assert PERMISSIONS["read"] == {"rm", "analyst", "admin"}
    assert PERMISSIONS["upload"] == {"rm", "analyst", "admin"}
    assert PERMISSIONS["delete"] == {"analyst", "admin"}
    assert PERMISSIONS["audit"] == {"admin"}


def test_cli_hash_password_and_create_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse\n"))
    assert auth.main(["hash-password", "--stdin", "--rounds", "4"]) == 0
    hashed = capsys.readouterr().out.strip()
    assert bcrypt.checkpw(b"correct horse", hashed.encode())

    assert auth.main(["create-token", "crm", "--role", "rm", "--portfolio", "Acme", "星河科技"]) == 0
    out = capsys.readouterr()
    token = out.err.split(": ", 1)[1].strip()
    entry = tomllib.loads(out.out)["tokens"]["crm"]
    assert entry["role"] == "rm" and entry["portfolio"] == ["Acme", "星河科技"]

    users = write(
        tmp_path, f'[users.dana]\nrole = "analyst"\nportfolio = "*"\npassword_hash = "{hashed}"\n\n' + out.out
    )
    config = load_auth_config(users)
    assert config.verify_password("dana", "correct horse") is not None
    who = config.verify_token(token)
    assert who is not None and who.name == "crm" and who.allowed == frozenset({"Acme", "星河科技"})

    assert auth.main(["check", str(users)]) == 0
    listing = capsys.readouterr().out
    assert "dana" in listing and "every company" in listing and "crm" in listing

    broken = write(tmp_path, '[users.x]\nrole = "boss"', "broken.toml")
    assert auth.main(["check", str(broken)]) == 2
    assert f"{broken}: users.x: role must be one of" in capsys.readouterr().err


def test_cli_refuses_overlong_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("x" * 80 + "\n"))
    assert auth.main(["hash-password", "--stdin", "--rounds", "4"]) == 2
    assert "80 bytes long; bcrypt uses at most 72" in capsys.readouterr().err


def test_throttle_waits_double_up_to_the_cap_and_never_overflow() -> None:
    from assistant.serve.throttle import Throttle

    now = [1000.0]
    throttle = Throttle(free=2, base_s=1.0, cap_s=300.0, clock=lambda: now[0])
    waits = []
    for _ in range(6):
        waits.append(throttle.wait("u"))
        throttle.failed("u")
    assert waits == [
        0.0,
        0.0,
        1.0,
        2.0,
        4.0,
        8.0,
    ]  # after each failure the wait doubles (the clock stood still)
    for _ in range(3000):  # thousands of failures: capped, no OverflowError
        throttle.failed("u")
    assert throttle.wait("u") == 300.0
    assert throttle.first_refusal("u") and not throttle.first_refusal(
        "u"
    )  # the first refusal of a wait is reported
    throttle.failed("u")
    assert throttle.first_refusal("u")  # a new failure, a new wait
    now[0] += 301.0
    assert throttle.wait("u") == 0.0
    throttle.succeeded("u")
    assert throttle.wait("u") == 0.0 and throttle.first_refusal("u")
