"""Server secrets: the built-in key only for debugging and tests, strong keys in production.

ASVS 4.0 2.10.4, 6.4.1, 14.3.2; the CLI says how to make a key, without a traceback.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from wallet import config as defaults
from wallet import create_app
from wallet.services import secret_keys
from wallet.web.factory import InsecureConfiguration

ROOT = Path(__file__).resolve().parent.parent
STRONG = secret_keys.new_secret()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Remove every WALLET_* and FLASK_* variable so a test sees only the ones it sets."""
    for name in list(os.environ):
        if name.startswith(("WALLET_", "FLASK_")):
            monkeypatch.delenv(name)
    return monkeypatch


def _app(**config: object):
    return create_app({"DATABASE_URL": "sqlite://", **config})


def test_the_builtin_key_is_refused_outside_development_even_when_not_production(clean_env):
    with pytest.raises(InsecureConfiguration, match="wallet secret"):
        _app(ENV="staging", BASE_URL="https://wallet.example.org")


def test_development_with_https_never_uses_the_builtin_key(clean_env):
    app = _app(BASE_URL="https://wallet.example.org")
    assert app.config["SECRET_KEY"] != defaults.DEFAULT_SECRET_KEY
    path = Path(app.instance_path) / "secret_key"
    assert path.read_text().strip() == app.config["SECRET_KEY"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # The same instance keeps its key: sessions survive a restart of `make run`.
    assert _app().config["SECRET_KEY"] == app.config["SECRET_KEY"]
    assert secret_keys.weak_secret(app.config["SECRET_KEY"]) is False


def test_testing_and_debugging_may_use_the_builtin_key(clean_env):
    assert _app(TESTING=True).config["SECRET_KEY"] == defaults.DEFAULT_SECRET_KEY
    assert _app(DEBUG=True).config["SECRET_KEY"] == defaults.DEFAULT_SECRET_KEY


@pytest.mark.parametrize(
    "weak",
    ["x", "x" * 64, "0123456789abcdef" * 2, secret_keys.new_secret()[:30], "ab" * 40],
    ids=["one-char", "uniform", "16-bytes-hex", "short", "two-chars"],
)
def test_production_refuses_weak_secret_keys(clean_env, weak):
    with pytest.raises(InsecureConfiguration, match="at least 32 random bytes"):
        _app(ENV="production", SECRET_KEY=weak)


def test_production_refuses_a_weak_issuer_key_secret(clean_env):
    with pytest.raises(InsecureConfiguration, match="WALLET_ISSUER_KEY_SECRET"):
        _app(ENV="production", SECRET_KEY=STRONG, ISSUER_KEY_SECRET="short")
    with pytest.raises(InsecureConfiguration, match="WALLET_ISSUER_KEY_SECRET"):
        _app(ENV="production", SECRET_KEY=STRONG, ISSUER_KEY_SECRET=defaults.DEFAULT_SECRET_KEY)
    app = _app(ENV="production", SECRET_KEY=STRONG, ISSUER_KEY_SECRET=secret_keys.new_secret())
    assert app.config["ENV"] == "production"


@pytest.mark.parametrize(
    "good", [STRONG, os.urandom(32).hex(), "Zq" + os.urandom(40).hex()], ids=["b64", "hex", "raw"]
)
def test_production_accepts_32_random_bytes(clean_env, good):
    assert _app(ENV="production", SECRET_KEY=good).config["SECRET_KEY"] == good


def test_a_hex_key_that_misses_some_digits_is_still_strong():
    """64 random hex digits miss one of the 16 one time in four (`openssl rand -hex 32`)."""
    from wallet.services.secret_keys import weak_secret

    key = ("0123456789abc" * 5)[:64]  # 13 distinct digits: 32 bytes of key material
    assert not weak_secret(key)
    assert not weak_secret(key.upper())
    assert weak_secret("ab" * 32) and weak_secret("x" * 64)


def test_cli_says_how_to_make_a_key_without_a_traceback(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WALLET_")}
    env.update(WALLET_ENV="production", WALLET_DATABASE_URL="sqlite://")
    wallet = Path(sys.executable).parent / "wallet"
    result = subprocess.run(
        [str(wallet), "users", "list"], env=env, capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "wallet secret" in result.stderr
    made = subprocess.run([str(wallet), "secret"], env=env, capture_output=True, text=True)
    assert made.returncode == 0
    assert not secret_keys.weak_secret(made.stdout.strip())
