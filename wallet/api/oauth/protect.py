"""Bearer-token protection for API resources (RFC 6750), answering in each API's error format."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any

from authlib.integrations.flask_oauth2.requests import FlaskJsonRequest
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import ResourceProtector
from authlib.oauth2.rfc6750 import BearerTokenValidator
from flask import g
from flask import request
from flask_limiter.util import get_remote_address

from wallet.api.oauth.server import IssuedToken
from wallet.models import Connection
from wallet.services.oauth import grants as consent

ErrorResponder = Callable[[int, str, dict[str, str]], Any]


class _Validator(BearerTokenValidator):
    """Look access tokens up by their hash."""

    def authenticate_token(self, token_string: str) -> IssuedToken | None:
        """Return the token record for a bearer token string."""
        record = consent.find_access_token(token_string)
        return IssuedToken(record) if record is not None else None


_PROTECTOR = ResourceProtector()
_PROTECTOR.register_token_validator(_Validator())


def rate_key() -> str:
    """Rate-limit API calls per access token (per address without one); no token is stored."""
    header = request.headers.get("Authorization", "")
    if header:
        return "api-token:" + hashlib.sha256(header.encode("utf-8", "replace")).hexdigest()[:32]
    return "api-ip:" + get_remote_address()


def require(scope: str, respond: ErrorResponder) -> Callable[[Callable[..., Any]], Any]:
    """Return a decorator admitting requests whose bearer token has scope; respond() refuses."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            try:
                token = _PROTECTOR.validate_request([scope], FlaskJsonRequest(request))
            except OAuth2Error as error:
                return respond(*_refusal(error.error, scope))
            g.api_connection = token.record.connection
            consent.touch(token.record.connection)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _refusal(error: str | None, scope: str) -> tuple[int, str, dict[str, str]]:
    """Return status, text and RFC 6750 WWW-Authenticate header for a refused token."""
    if error == "insufficient_scope":
        header = f'Bearer realm="wallet", error="insufficient_scope", scope="{scope}"'
        return (
            403,
            "The access token does not grant the scope " + scope,
            {"WWW-Authenticate": header},
        )
    if error == "missing_authorization":
        return 401, "An access token is required.", {"WWW-Authenticate": 'Bearer realm="wallet"'}
    header = 'Bearer realm="wallet", error="invalid_token"'
    return 401, "The access token is not valid.", {"WWW-Authenticate": header}


def connection() -> Connection:
    """Return the holder's connection the current request's token belongs to."""
    return g.api_connection
