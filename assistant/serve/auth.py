"""Who may use the assistant: users (bcrypt-hashed passwords) and API tokens (sha256 of a random
secret), each with a role and a portfolio, read from one TOML or YAML file.

    # users.toml  (python -m assistant.serve.auth hash-password / create-token write the hashes)
    [users.alice]
    role = "rm"                       # rm | analyst | admin
    portfolio = ["Acme", "栖云智算"]   # company names as `assistant companies` prints them, or "*"
    password_hash = "$2b$12$…"

    [users.root]
    role = "admin"                    # an admin always sees every company
    password_hash = "$2b$12$…"

    [tokens.crm-sync]                 # for programs: Authorization: Bearer <token>
    role = "analyst"
    portfolio = "*"
    sha256 = "…"                      # sha256 of the token; the token itself is never stored

The file's path comes from ``ASSISTANT_AUTH_CONFIG`` (the setting ``auth_config``) or an argument.
What each role may do is :data:`PERMISSIONS` (the role matrix).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import re
import secrets
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import bcrypt

from assistant.core.errors import ConfigError

Role = Literal["rm", "analyst", "admin"]
ROLES: tuple[Role, ...] = ("rm", "analyst", "admin")
Permission = Literal["read", "upload", "delete", "audit"]

#: The role matrix. "read": companies, search, ask, document lists (always within the portfolio);
#: "upload" / "delete": documents of portfolio companies; "audit": search, export and verify the audit log.
PERMISSIONS: dict[Permission, frozenset[Role]] = {
    "read": frozenset({"rm", "analyst", "admin"}),
    "upload": frozenset({"rm", "analyst", "admin"}),
    "delete": frozenset({"analyst", "admin"}),
    "audit": frozenset({"admin"}),
}
ENV_VAR = "ASSISTANT_AUTH_CONFIG"
TOKEN_PREFIX = "asst_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
_BCRYPT = re.compile(r"^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
CACHE_TTL_S = 300.0
CACHE_SIZE = 1024


class AuthConfigError(ConfigError):
    """The users file cannot be used; the message names the file and the reason."""


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a user, a program (token), or the local user when auth is off."""

    name: str
    role: Role
    portfolio: frozenset[str] | None  # None: every company
    via: Literal["password", "token", "none"] = "password"

    @property
    def allowed(self) -> frozenset[str] | None:
        """The companies this caller may see (None: all): pass it to retrieval, search and answers."""
        return self.portfolio

    def can(self, permission: Permission) -> bool:
        return self.role in PERMISSIONS[permission]

    def sees(self, company: str) -> bool:
        return self.portfolio is None or company in self.portfolio


LOCAL = Principal("local", "admin", None, via="none")  # the only caller when no users file is configured


@dataclass(frozen=True)
class _Entry:
    principal: Principal
    secret_hash: str  # bcrypt hash (users) or sha256 hex (tokens)


class AuthConfig:
    """Users and tokens of one file. Password checks are cached for a few minutes after a success
    (bcrypt costs ~0.4 s of CPU; an API client sends its password with every request)."""

    def __init__(self, path: Path, users: Mapping[str, _Entry], tokens: Mapping[str, _Entry]) -> None:
        self.path = path
        self._users = dict(users)
        self._tokens = dict(tokens)  # sha256 hex → entry
        self._cache: OrderedDict[bytes, tuple[Principal, float]] = OrderedDict()
        self._cache_key = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._flights: dict[bytes, threading.Lock] = {}
        costs = [int(m.group(1)) for e in self._users.values() if (m := _BCRYPT.match(e.secret_hash))]
        self._dummy = (
            bcrypt.hashpw(b"not-a-password", bcrypt.gensalt(max(costs, default=12))) if costs else b""
        )

    @property
    def users(self) -> list[Principal]:
        return [e.principal for e in self._users.values()]

    @property
    def tokens(self) -> list[Principal]:
        return [e.principal for e in self._tokens.values()]

    def user(self, name: str) -> Principal | None:
        """The user of this name (e.g. the one Gradio logged in), without a password check."""
        entry = self._users.get(name)
        return entry.principal if entry else None

    def recently_verified(self, name: str, password: str) -> Principal | None:
        """The user when these credentials passed a check in the last few minutes (no bcrypt: a client
        sending its password with every request is not a new sign-in); None otherwise."""
        return self._cached(self._key(name, password))

    def _key(self, name: str, password: str) -> bytes:
        return hmac.new(self._cache_key, f"{name}\0{password}".encode(), hashlib.sha256).digest()

    def verify_password(self, name: str, password: str) -> Principal | None:
        """The user when the password matches its bcrypt hash; None otherwise (unknown users take as
        long as known ones, so timing does not tell which names exist)."""
        key = self._key(name, password)
        hit = self._cached(key)
        if hit:
            return hit
        with self._lock:
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:  # parallel requests with the same credentials wait for one bcrypt check, not one each
            hit = self._cached(key)
            if hit:
                return hit
            try:
                return self._check(key, name, password)
            finally:
                with self._lock:
                    self._flights.pop(key, None)

    def _cached(self, key: bytes) -> Principal | None:
        with self._lock:
            hit = self._cache.get(key)
            if hit and hit[1] > time.monotonic():
                self._cache.move_to_end(key)
                return hit[0]
        return None

    def _check(self, key: bytes, name: str, password: str) -> Principal | None:
        entry = self._users.get(name)
        secret = password.encode()
        if len(secret) > 72 or not entry:  # bcrypt reads at most 72 bytes; such a password was never set
            if self._dummy:
                bcrypt.checkpw(b"x", self._dummy)
            return None
        if not bcrypt.checkpw(secret, entry.secret_hash.encode()):
            return None
        with self._lock:
            self._cache[key] = (entry.principal, time.monotonic() + CACHE_TTL_S)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return entry.principal

    def verify_token(self, token: str) -> Principal | None:
        digest = hashlib.sha256(token.encode()).hexdigest()
        entry = self._tokens.get(digest)
        if entry and hmac.compare_digest(entry.secret_hash, digest):
            return entry.principal
        return None


# ---- loading ---------------------------------------------------------------------------------
def config_path(explicit: Path | str | None = None, settings: object | None = None) -> Path | None:
    """The users file: an explicit path, else the setting ``auth_config``, else $ASSISTANT_AUTH_CONFIG."""
    chosen = explicit or getattr(settings, "auth_config", None) or os.environ.get(ENV_VAR) or None
    return Path(chosen) if chosen else None


def load_auth_config(path: Path | str) -> AuthConfig:
    """Read and check a users file; every problem is an AuthConfigError naming the file and the entry."""
    path = Path(path)

    def fail(reason: str) -> AuthConfigError:
        return AuthConfigError(f"{path}: {reason}")

    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise fail(
            f"no such file (set {ENV_VAR} to the users file; see `python -m assistant.serve.auth --help`)"
        ) from None
    except OSError as exc:
        raise fail(f"cannot be read ({exc.strerror or exc})") from None
    data = _parse(path, raw, fail)
    if not isinstance(data, dict):
        raise fail("expected a table with [users.NAME] and [tokens.NAME] entries")
    unknown = sorted(set(data) - {"users", "tokens"})
    if unknown:
        raise fail(f"unknown section {', '.join(map(repr, unknown))} (expected 'users' and 'tokens')")
    users = {name: _entry(fail, "users", name, spec) for name, spec in _section(fail, data, "users").items()}
    tokens: dict[str, _Entry] = {}
    for name, spec in _section(fail, data, "tokens").items():
        entry = _entry(fail, "tokens", name, spec)
        if name in users:
            raise fail(f"tokens.{name}: the name is also a user's; give programs their own names")
        if entry.secret_hash in tokens:
            raise fail(f"tokens.{name}: the same token as tokens.{tokens[entry.secret_hash].principal.name}")
        tokens[entry.secret_hash] = entry
    if not users and not tokens:
        raise fail("defines no users and no tokens, so nobody could sign in")
    return AuthConfig(path, users, tokens)


def _parse(path: Path, raw: bytes, fail: Any) -> object:
    suffix = path.suffix.lower()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise fail(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if suffix == ".toml":
        import tomllib

        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise fail(f"not valid TOML: {exc}") from None
    if suffix in (".yaml", ".yml"):
        import yaml

        try:
            return yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise fail(f"not valid YAML: {' '.join(str(exc).split())}") from None
    raise fail("unknown format: the users file must end in .toml, .yaml or .yml")


def _section(fail: Any, data: dict[str, Any], key: str) -> dict[str, Any]:
    section = data.get(key) or {}
    if not isinstance(section, dict):
        raise fail(f"'{key}' must be a table of entries by name ([{key}.NAME])")
    return section


def _entry(fail: Any, kind: str, name: object, spec: object) -> _Entry:
    where = f"{kind}.{name}"
    if not isinstance(name, str) or not _NAME.match(name):
        raise fail(f"{where}: a name is 1-64 letters, digits or _ . @ - (starting with a letter or digit)")
    if not isinstance(spec, dict):
        raise fail(
            f"{where}: expected a table with role, portfolio and {'password_hash' if kind == 'users' else 'sha256'}"
        )
    secret_key = "password_hash" if kind == "users" else "sha256"
    allowed_keys = {"role", "portfolio", secret_key}
    if kind == "users" and "password" in spec:
        raise fail(
            f"{where}: plain-text 'password' is not accepted; store a bcrypt hash as password_hash "
            "(python -m assistant.serve.auth hash-password)"
        )
    if kind == "tokens" and "token" in spec:
        raise fail(
            f"{where}: store the token's sha256, never the token (python -m assistant.serve.auth create-token)"
        )
    extra = sorted(set(spec) - allowed_keys)
    if extra:
        raise fail(
            f"{where}: unknown key {', '.join(map(repr, extra))} (expected {', '.join(sorted(allowed_keys))})"
        )
    role = spec.get("role")
    if role not in ROLES:
        raise fail(f"{where}: role must be one of {', '.join(ROLES)} (got {role!r})")
    secret = spec.get(secret_key)
    if kind == "users" and not (isinstance(secret, str) and _BCRYPT.match(secret)):
        raise fail(
            f"{where}: password_hash must be a bcrypt hash ($2b$12$…, 60 characters); "
            "make one with python -m assistant.serve.auth hash-password"
        )
    if kind == "tokens" and not (isinstance(secret, str) and _SHA256.match(secret.lower())):
        raise fail(
            f"{where}: sha256 must be 64 hexadecimal characters; "
            "make a token with python -m assistant.serve.auth create-token"
        )
    portfolio = _portfolio(fail, where, role, spec.get("portfolio"))
    via: Literal["password", "token"] = "password" if kind == "users" else "token"
    return _Entry(
        Principal(name, role, portfolio, via), str(secret).lower() if kind == "tokens" else str(secret)
    )


def _portfolio(fail: Any, where: str, role: str, value: object) -> frozenset[str] | None:
    if role == "admin":
        if value not in (None, "*", ["*"]):
            raise fail(f'{where}: an admin sees every company; drop its portfolio or set it to "*"')
        return None
    if value is None:
        raise fail(f'{where}: portfolio is missing: a list of company names, or "*" for every company')
    if value == "*" or value == ["*"]:
        return None
    if not isinstance(value, list) or not all(isinstance(c, str) and c.strip() for c in value):
        raise fail(f'{where}: portfolio must be a list of company names, or "*" (got {value!r})')
    if "*" in value:
        raise fail(f'{where}: portfolio mixes "*" with company names; use one or the other')
    return frozenset(c.strip() for c in value)


# ---- command line: python -m assistant.serve.auth ----------------------------------------------------
def hash_password(password: str, rounds: int = 12) -> str:
    secret = password.encode()
    if not password:
        raise AuthConfigError("the password is empty")
    if len(secret) > 72:
        raise AuthConfigError(f"the password is {len(secret)} bytes long; bcrypt uses at most 72")
    return bcrypt.hashpw(secret, bcrypt.gensalt(rounds)).decode()


def new_token() -> tuple[str, str]:
    """A random API token and the sha256 to put in the users file."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, hashlib.sha256(token.encode()).hexdigest()


def _toml_list(companies: Sequence[str]) -> str:
    if list(companies) in ([], ["*"]):
        return '"*"'
    return "[" + ", ".join('"' + c.replace("\\", "\\\\").replace('"', '\\"') + '"' for c in companies) + "]"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m assistant.serve.auth",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("hash-password", help="print a bcrypt hash for password_hash (asks for the password)")
    p.add_argument("--stdin", action="store_true", help="read the password from standard input (for scripts)")
    p.add_argument("--rounds", type=int, default=12, help="bcrypt cost (default 12)")
    p = sub.add_parser("create-token", help="make an API token: prints the token once and the entry to add")
    p.add_argument("name")
    p.add_argument("--role", choices=ROLES, default="analyst")
    p.add_argument("--portfolio", nargs="*", default=["*"], help='company names, or "*" (default)')
    p = sub.add_parser("check", help="check a users file and list its users and tokens")
    p.add_argument("path", nargs="?", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "hash-password":
            if args.stdin:
                password = sys.stdin.readline().rstrip("\r\n")
            else:
                import getpass

                password = getpass.getpass("Password: ")
                if getpass.getpass("Again: ") != password:
                    print("error: the passwords differ", file=sys.stderr)
                    return 2
            print(hash_password(password, args.rounds))
        elif args.command == "create-token":
            token, digest = new_token()
            print(f"token (shown once; give it to the program): {token}", file=sys.stderr)
            print(
                f'[tokens.{args.name}]\nrole = "{args.role}"\n'
                f'portfolio = {_toml_list(args.portfolio)}\nsha256 = "{digest}"'
            )
        else:
            path = config_path(args.path)
            if path is None:
                print(f"error: name the users file or set {ENV_VAR}", file=sys.stderr)
                return 2
            config = load_auth_config(path)
            for who in [*config.users, *config.tokens]:
                seen = "every company" if who.portfolio is None else ", ".join(sorted(who.portfolio))
                print(f"{who.via:<8} {who.name:<20} {who.role:<8} {seen}")
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
