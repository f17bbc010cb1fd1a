"""Password rule, argon2id hashing, signed state-bound tokens, and safe `next` targets."""

from __future__ import annotations

import random
import string
import unicodedata

import pytest

from wallet.services import security
from wallet.services.password_policy import assess
from wallet.services.password_policy import password_problems
from wallet.services.password_policy import personal_words
from wallet.web.rendering import safe_next_url

HOLDER_WORDS = personal_words("taro@example.com", "コンクリート", "太郎", "Taro Concrete")
INCUMBENT_SYMBOLS = "!@#%&+="


@pytest.mark.parametrize(
    ("password", "problems"),
    [
        # length: 8 to 128 characters of any kind, counted as characters (not bytes)
        ("Kq7+Zt2", ["short"]),
        ("", ["short"]),
        ("Kq7+Zt2@", []),
        ("correct horse battery staple 2026", []),  # spaces: the incumbent refused it
        ("太郎の秘密のパスワード", []),  # Japanese
        ("ぱすわーどですよね", []),
        ("x7Gq" + "ñ" * 124, []),  # 128 characters, more bytes
        ("x7Gq" + "ñ" * 125, ["long"]),
        # no composition rule: one kind of character is fine when long and unguessable
        ("lantern orbit cactus velvet", []),
        # guessable, with the reason
        ("password123", ["common"]),  # the incumbent accepted it
        ("Passw0rd!", ["common"]),
        ("qwerty12", ["common"]),
        ("aaaaaaaaaaaa", ["repeat"]),
        ("ABCDEFG=", ["sequence"]),
        ("concrete1985", ["personal", "dates"]),
        ("taro@example.com1", ["personal"]),
        ("コンクリート太郎1", ["personal"]),
    ],
)
def test_password_problems(password, problems):
    assert password_problems(password, HOLDER_WORDS) == problems


def test_every_unguessable_password_of_the_incumbent_rule_stays_accepted():
    """8-20 letters, digits and !@#%&+=: accepted unless the estimator finds a pattern."""
    rng = random.Random(15)
    alphabet = string.ascii_letters + string.digits + INCUMBENT_SYMBOLS
    refused = []
    for _ in range(300):
        password = "".join(rng.choice(alphabet) for _ in range(rng.randint(8, 20)))
        strength = assess(password, HOLDER_WORDS)
        if not strength.ok:
            # Refused only with a named pattern, never for length or kind of character.
            assert strength.problems[0] not in ("short", "long"), password
            refused.append(password)
    assert len(refused) <= 3, refused
    for password in ("Abcdefg1", "ABCDEFG1", "1234567+", "abcdefg!", "!@#%&+=!"):
        assert password_problems(password) != ["short"], password  # guessable, not "too short"
    for password in ("Kq7+Zt2@", "Hanak0+pw", "Pass@#%&+=", "Xk9#mP2&wq", "aB3!kq9#"):
        assert password_problems(password, HOLDER_WORDS) == [], password


def test_normalized_passwords_verify_however_they_were_typed(app):
    """NFC: a voiced kana typed composed or decomposed is the same password."""
    composed = "ぱすわーどですよね"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    with app.app_context():
        hashed = security.hash_password(decomposed)
        assert security.verify_password(composed, hashed)[0]


@pytest.mark.parametrize(
    "target",
    [
        "/",
        "/account",
        "/account?tab=password",
        "/b/abc123#qr",
        "/auth/login?next=/account",
        "/%09/evil.example",  # stays a path: browsers do not decode %09 in a Location path
        "/ｅｖｉｌ",
    ],
)
def test_safe_next_url_keeps_local_paths(target):
    assert safe_next_url(target) == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "//evil.example",
        "//evil.example/path",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "\\/evil.example",
        "https://evil.example",
        "http://evil.example/",
        "HTTPS://evil.example",
        "https:evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "evil.example",
        "./account",
        "?next=/",
        "\t//evil.example",
        " //evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\nLocation: https://evil.example",
        "/\x00/evil.example",
        "/" + "a" * 3000,
    ],
)
def test_safe_next_url_refuses_everything_else(target):
    assert safe_next_url(target) is None


# --- hashing ---------------------------------------------------------------------------------


def test_hash_is_argon2id_with_the_configured_cost(app):
    with app.app_context():
        hashed = security.hash_password("Passw0rd!")
        assert hashed.startswith("$argon2id$")
        assert "m=1024,t=1,p=1" in hashed
        assert security.hash_password("Passw0rd!") != hashed  # salted
        assert security.verify_password("Passw0rd!", hashed) == (True, None)
        assert security.verify_password("passw0rd!", hashed) == (False, None)


@pytest.mark.parametrize("garbage", ["", "not-a-hash", "$argon2id$v=19$m=1,t=1,p=1$xx$yy", "$2b$"])
def test_verify_against_a_broken_hash_is_false(app, garbage):
    with app.app_context():
        assert security.verify_password("Passw0rd!", garbage) == (False, None)


def test_verify_rehashes_when_the_cost_changes(app):
    with app.app_context():
        old = security.hash_password("Passw0rd!")
        app.config["PASSWORD_MEMORY_COST"] = 2048
        ok, new = security.verify_password("Passw0rd!", old)
        assert ok is True
        assert new is not None and "m=2048" in new
        assert security.verify_password("Passw0rd!", new) == (True, None)


def test_sign_in_upgrades_an_old_hash(app, client, user):
    from wallet.extensions import db
    from wallet.models import User

    app.config["PASSWORD_MEMORY_COST"] = 2048
    response = client.post(
        "/auth/login", data={"email": "taro@example.com", "password": "Passw0rd!"}
    )
    assert response.status_code == 303
    with app.app_context():
        assert "m=2048" in db.session.get(User, user["id"]).password_hash


def _spy_on_verify(monkeypatch) -> list[tuple[str, bool]]:
    """Record (hash, result) of every verification the app's current CryptContext runs."""
    context = security._context()
    real = context.verify
    seen: list[tuple[str, bool]] = []

    def verify(secret, hashed, **kwargs):
        result = real(secret, hashed, **kwargs)
        seen.append((hashed, result))
        return result

    monkeypatch.setattr(context, "verify", verify)
    return seen


def _cost(hashed: str) -> str:
    """Return the argon2 variant and parameters of a hash, e.g. 'argon2id$v=19$m=1024,t=1,p=1'."""
    return "$".join(hashed.split("$")[1:4])


def test_dummy_verify_spends_one_verification_at_the_configured_cost(app, monkeypatch):
    """Each call runs one failing argon2id verification costed like a real account's hash."""
    app.config.update(PASSWORD_TIME_COST=2, PASSWORD_MEMORY_COST=2048, PASSWORD_PARALLELISM=1)
    with app.app_context():
        seen = _spy_on_verify(monkeypatch)
        security.dummy_verify()
        security.dummy_verify()
        account_cost = _cost(security.hash_password("Passw0rd!"))
    assert account_cost == "argon2id$v=19$m=2048,t=2,p=1"
    assert len(seen) == 2, seen
    assert [_cost(hashed) for hashed, _ in seen] == [account_cost, account_cost]
    assert seen[0][0] == seen[1][0], "the dummy hash is made once, not on every call"
    assert not any(result for _, result in seen)


def test_dummy_verify_follows_a_cost_change(app, monkeypatch):
    """When the configured cost rises, the dummy verification costs as much as the new hashes."""
    with app.app_context():
        security.dummy_verify()
        app.config["PASSWORD_MEMORY_COST"] = 4096
        seen = _spy_on_verify(monkeypatch)
        security.dummy_verify()
        account_cost = _cost(security.hash_password("Passw0rd!"))
    assert "m=4096" in account_cost
    assert [_cost(hashed) for hashed, _ in seen] == [account_cost]


def test_sign_in_with_an_unknown_address_spends_a_verification(app, client, monkeypatch, user):
    """Signing in with an unknown address still runs one verification at the configured cost."""
    with app.app_context():
        seen = _spy_on_verify(monkeypatch)
    response = client.post(
        "/auth/login", data={"email": "nobody@example.com", "password": "Passw0rd!"}
    )
    assert response.status_code == 422
    assert len(seen) == 1, seen
    assert _cost(seen[0][0]) == "argon2id$v=19$m=1024,t=1,p=1"


# --- tokens ----------------------------------------------------------------------------------


def test_token_round_trip(app):
    with app.app_context():
        token = security.make_token("reset-password", 7, "state-1")
        assert security.read_token("reset-password", token, 60) == (7, "state-1")


def test_token_is_bound_to_its_purpose_and_key(app):
    with app.app_context():
        token = security.make_token("reset-password", 7, "s")
        assert security.read_token("verify-email", token, 60) is None
        app.config["SECRET_KEY"] = "another-secret"
        assert security.read_token("reset-password", token, 60) is None


def test_tampered_and_malformed_tokens(app):
    with app.app_context():
        token = security.make_token("verify-email", 7, "s")
        tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
        for bad in (tampered, "", "x", "a.b.c", token + "x", "x" * 1001, token.split(".")[0]):
            assert security.read_token("verify-email", bad, 60) is None


def test_expired_token(app):
    with app.app_context():
        token = security.make_token("verify-email", 7, "s")
        assert security.read_token("verify-email", token, -1) is None


def test_token_with_an_unexpected_payload_is_refused(app):
    from itsdangerous import URLSafeTimedSerializer

    with app.app_context():
        serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wallet.verify-email")
        for payload in ([7, "s"], {"s": 7}, {"f": "s"}, {"s": 7, "f": 3}, "x", None):
            token = serializer.dumps(payload)
            assert security.read_token("verify-email", token, 60) is None


def test_fingerprint_changes_with_state():
    a = security.fingerprint("hash", "2024-01-01")
    assert a == security.fingerprint("hash", "2024-01-01")
    assert a != security.fingerprint("hash", "2024-01-02")
    assert a != security.fingerprint("hash2024-01-01")  # parts are separated
    assert security.fingerprint("x", None) != security.fingerprint("x", "None")
    assert security.same_state(a, a)
    assert not security.same_state(a, security.fingerprint("other"))
