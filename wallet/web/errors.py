"""Error pages (and htmx toasts) for 400/403/404/405/413/422/429/500/503, in both languages."""

from __future__ import annotations

import logging

from flask import Flask
from flask import render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from wallet.services.jobs import QueueUnavailable
from wallet.web import htmx

log = logging.getLogger(__name__)


def _titles() -> dict[int, tuple[str, str]]:
    """Return (title, explanation) per status, in the current language."""
    return {
        400: (_("Bad request"), _("The request could not be understood. Please try again.")),
        403: (_("Not allowed"), _("You are not allowed to do this.")),
        404: (
            _("Not found"),
            _("This page is not disclosed or does not exist."),
        ),
        405: (_("Not allowed"), _("This address does not accept that kind of request.")),
        413: (_("Too large"), _("The file or text you sent is too large.")),
        422: (_("Please check your input"), _("Some of what you entered could not be used.")),
        429: (
            _("Too many attempts"),
            _(
                "You tried too many times in a short while. "
                "Please wait a few minutes and try again."
            ),
        ),
        500: (
            _("Something went wrong"),
            _("We could not complete your request. Please try again later."),
        ),
        503: (
            _("Temporarily unavailable"),
            _("The service is briefly unavailable. Please try again in a moment."),
        ),
    }


def render_error(status: int, message: str | None = None):
    """Render the error page, or a toast into #flash for htmx requests."""
    title, text = _titles().get(status, _titles()[500])
    text = message or text
    if htmx.is_htmx():
        body = render_template("errors/_toast.html", title=title, text=text)
        response = htmx.retarget(htmx.vary(_response(body, status)), "#flash", "innerHTML")
        return response
    return _response(
        render_template("errors/error.html", status=status, title=title, text=text), status
    )


def _response(body: str, status: int):
    """Build a response object with the given status."""
    from flask import make_response

    return make_response(body, status)


def register_error_handlers(app: Flask) -> None:
    """Install the handlers on app."""

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(
            400,
            _(
                "Your form expired or was not sent from this site. "
                "Please reload the page and try again."
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        if status in (301, 302, 303, 307, 308):
            return error
        return render_error(status if status in _titles() else 400)

    @app.errorhandler(DataError)
    def bad_data(error: DataError):
        # Input the database refuses (e.g. NUL in text on PostgreSQL) is the client's fault.
        log.warning("database refused request data: %s", error.orig.__class__.__name__)
        from wallet.extensions import db

        db.session.rollback()
        return render_error(400)

    @app.errorhandler(QueueUnavailable)
    def queue_unavailable(error: QueueUnavailable):
        log.error("%s", error)
        return render_error(503)

    @app.errorhandler(OperationalError)
    def database_unavailable(error: OperationalError):
        log.exception("database error")
        from wallet.extensions import db

        db.session.rollback()
        return render_error(503)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("unhandled error")
        return render_error(500)
