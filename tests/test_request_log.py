"""One log line per request (JSON in production, readable in development) with a request id."""

from __future__ import annotations

import json
import logging
import threading
import urllib.request
from pathlib import Path

import pytest

from tests import suite_logs
from tests.conftest import make_config
from tests.conftest import make_user


def build(tmp_path, **overrides):
    """An app with tables, logging at INFO in the format asked for."""
    from wallet import create_app
    from wallet.extensions import db

    config = make_config(tmp_path, **{"LOG_LEVEL": "INFO", **overrides})
    application = create_app(config)
    application.instance_path = str(tmp_path / "instance")
    with application.app_context():
        db.create_all()
    return application


@pytest.fixture
def json_app(tmp_path):
    application = build(tmp_path, LOG_FORMAT="json", DATABASE_URL=f"sqlite:///{tmp_path}/l.db")
    yield application
    from wallet.extensions import db

    with application.app_context():
        db.engine.dispose()


def json_lines(text: str) -> list[dict]:
    """Return the JSON log lines of captured stderr (other lines are an error)."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def request_lines(text: str) -> list[dict]:
    """Return the request lines among the JSON log lines."""
    return [entry for entry in json_lines(text) if entry["logger"] == "wallet.request"]


def test_one_json_line_per_request(json_app, capsys):
    client = json_app.test_client()
    capsys.readouterr()
    response = client.get("/auth/login")
    (line,) = request_lines(capsys.readouterr().err)
    assert line["method"] == "GET"
    assert line["route"] == "/auth/login"
    assert line["endpoint"] == "auth.login"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["level"] == "info"
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert len(line["request_id"]) == 32


def test_the_route_is_logged_never_the_path(json_app, capsys):
    client = json_app.test_client()
    capsys.readouterr()
    client.get("/b/abcdefghijklmnopqrstuvwx?lang=en&secret=x")
    client.get("/auth/reset/a-secret-token-from-a-mail")
    text = capsys.readouterr().err
    lines = request_lines(text)
    assert [entry["route"] for entry in lines] == ["/b/<public_id>", "/auth/reset/<token>"]
    assert "abcdefghijklmnopqrstuvwx" not in text
    assert "a-secret-token-from-a-mail" not in text
    assert "secret=x" not in text


def test_a_request_id_is_taken_from_a_trusted_proxy_only(tmp_path, capsys):
    direct = build(tmp_path / "a", LOG_FORMAT="json")
    sent = {"X-Request-ID": "from-the-client-0001"}
    response = direct.test_client().get("/healthz", headers=sent)
    assert response.headers["X-Request-ID"] != "from-the-client-0001"

    proxied = build(tmp_path / "b", LOG_FORMAT="json", PROXY_FIX=1)
    client = proxied.test_client()
    assert client.get("/healthz", headers=sent).headers["X-Request-ID"] == "from-the-client-0001"
    # A value that could break a log line is replaced, whoever sent it.
    bad = client.get("/healthz", headers={"X-Request-ID": "a b\tc" + "x" * 200})
    assert len(bad.headers["X-Request-ID"]) == 32 and " " not in bad.headers["X-Request-ID"]


def test_records_logged_during_a_request_carry_its_id(json_app, capsys):
    from flask import Blueprint

    probe = Blueprint("probe", __name__)

    @probe.get("/probe")
    def probe_view():
        logging.getLogger("wallet.services.example").warning("something worth a look")
        return "ok"

    json_app.register_blueprint(probe)
    capsys.readouterr()
    response = json_app.test_client().get("/probe")
    lines = json_lines(capsys.readouterr().err)
    (event,) = [e for e in lines if e["logger"] == "wallet.services.example"]
    assert event["level"] == "warning"
    assert event["msg"] == "something worth a look"
    assert event["request_id"] == response.headers["X-Request-ID"]


def test_health_checks_log_only_at_debug(json_app, capsys):
    client = json_app.test_client()
    capsys.readouterr()
    client.get("/healthz")
    client.get("/readyz")
    assert request_lines(capsys.readouterr().err) == []


def test_server_errors_log_at_error_level(json_app, capsys):
    from flask import Blueprint

    broken = Blueprint("broken", __name__)

    @broken.get("/broken")
    def broken_view():
        raise RuntimeError("a bug")

    json_app.register_blueprint(broken)
    capsys.readouterr()
    assert json_app.test_client().get("/broken").status_code == 500
    entries = json_lines(capsys.readouterr().err)
    (line,) = [e for e in entries if e["logger"] == "wallet.request"]
    assert line["level"] == "error" and line["status"] == 500
    (report,) = [e for e in entries if e["logger"] == "wallet.web.errors"]
    assert "RuntimeError: a bug" in report["exc"]
    assert report["request_id"] == line["request_id"]


def test_development_lines_are_for_people(tmp_path, capsys):
    application = build(tmp_path)  # ENV development, no LOG_FORMAT: readable lines
    capsys.readouterr()
    response = application.test_client().get("/auth/login")
    (line,) = [x for x in capsys.readouterr().err.splitlines() if "wallet.request" in x]
    assert not line.startswith("{")
    assert "INFO" in line and "GET /auth/login 200" in line and " ms" in line
    assert f"[{response.headers['X-Request-ID'][:8]}]" in line


def test_production_logs_json_by_default(tmp_path, capsys):
    application = build(tmp_path, ENV="production")
    capsys.readouterr()
    application.test_client().get("/auth/login")
    assert request_lines(capsys.readouterr().err)[0]["route"] == "/auth/login"


def test_the_development_servers_own_request_lines_are_dropped(app, capsys):
    from werkzeug.serving import make_server

    from wallet.services import logs

    logs.configure("text", "INFO")  # as `wallet run` has it
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.handle_request)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/auth/login?next=/a-private-path"
    with urllib.request.urlopen(url) as response:
        assert response.status == 200
    thread.join(10)
    server.server_close()
    err = capsys.readouterr().err
    assert "GET /auth/login 200" in err  # the app's own line, with the route
    assert "a-private-path" not in err  # werkzeug's line, with the query, is gone


def test_a_bad_log_setting_is_refused(tmp_path):
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        build(tmp_path, LOG_FORMAT="xml")
    with pytest.raises(ValueError, match="LOG_LEVEL"):
        build(tmp_path, LOG_FORMAT="json", LOG_LEVEL="LOUD")


def test_failed_sign_in_limits_log_no_address(tmp_path, capsys):
    application = build(
        tmp_path, LOG_FORMAT="json", RATELIMIT_ENABLED=True, RATELIMIT_LOGIN_ACCOUNT="2 per minute"
    )
    with application.app_context():
        make_user("limited@example.com")
    client = application.test_client()
    capsys.readouterr()
    form = {"email": "limited@example.com", "password": "wrong-password"}
    statuses = [client.post("/auth/login", data=form).status_code for _ in range(3)]
    assert statuses[-1] == 429
    text = capsys.readouterr().err
    assert "exceeded" in text  # Flask-Limiter reports the limit it enforced...
    assert "limited@example.com" not in text  # ...under a key that names nobody


# --- the suite-wide check ---------------------------------------------------------------------


def test_the_suite_check_knows_the_test_data():
    wanted = suite_logs.needles()
    assert {"taro@example.com", "hanako@example.com", "コンクリート", "花子"} <= wanted
    assert len(wanted) > 50


def test_the_suite_check_finds_a_leak(tmp_path: Path):
    (tmp_path / "worker.log").write_text(
        '{"msg": "job done"}\n{"msg": "mail to taro@example.com failed"}\n', encoding="utf-8"
    )
    (tmp_path / "pytest.jsonl").write_text('{"msg": "名前 コンクリート 太郎"}\n', encoding="utf-8")
    found = suite_logs.leaks(tmp_path, {"taro@example.com", "コンクリート", "太郎"})
    assert [(name, needle) for name, needle, _line in found] == [
        ("pytest.jsonl", "コンクリート"),
        ("worker.log", "taro@example.com"),
    ]


def test_the_suite_check_sees_this_session():
    # The capture is attached and writing: this record lands in the file the check reads.
    logging.getLogger("wallet.tests").info("suite capture probe")
    text = (suite_logs.folder() / "pytest.jsonl").read_text(encoding="utf-8")
    assert "suite capture probe" in text


def test_the_suite_check_matches_latin_names_as_words(tmp_path: Path):
    (tmp_path / "worker.log").write_text(
        '{"msg": "Job OK"}\n{"msg": "signed in as Jo Doe"}\n', encoding="utf-8"
    )
    found = suite_logs.leaks(tmp_path, {"Jo", "Doe"})
    assert [(needle, line) for _name, needle, line in found] == [
        ("Jo", '{"msg": "signed in as Jo Doe"}')
    ]
