"""Authlib's authorization server, adapted: open registration, PKCE S256 only, hashed storage."""

from __future__ import annotations

import re
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Request
from authlib.oauth2.rfc6749 import ClientMixin
from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc6749 import TokenMixin
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7591 import ClientRegistrationEndpoint
from authlib.oauth2.rfc7591 import InvalidClientMetadataError
from authlib.oauth2.rfc7591 import InvalidRedirectURIError
from authlib.oauth2.rfc7591 import InvalidSoftwareStatementError
from authlib.oauth2.rfc7636 import CodeChallenge
from flask import Flask
from flask import current_app
from flask import request as flask_request

from wallet.models import AuthorizationCode
from wallet.models import OAuthClient
from wallet.models import Token
from wallet.services.oauth import clients
from wallet.services.oauth import grants as consent
from wallet.services.oauth import scopes

SERVER = "wallet_oauth_server"  # app.extensions key
_UNSAFE = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")
_REGISTRATION_ERRORS = {
    "invalid_redirect_uri": InvalidRedirectURIError,
    "invalid_software_statement": InvalidSoftwareStatementError,
}
AUTH_METHODS = ["client_secret_basic"]  # the only client authentication OB 3.0 allows


class Client(ClientMixin):
    """A registered application as Authlib sees it."""

    def __init__(self, record: OAuthClient) -> None:
        self.record = record
        self.client_id = record.client_id

    def get_client_id(self) -> str:
        """Return the client id."""
        return self.record.client_id

    def get_default_redirect_uri(self) -> None:
        """Return None: every authorization request must name its redirect URI."""
        return None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """Return the requested scope when registered for this client (None refuses it)."""
        registered = scopes.split(self.record.scope)
        wanted = scopes.split(scope) or registered
        if not set(wanted) <= set(registered):
            return None
        return " ".join(wanted)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        """Return whether redirect_uri is one of the registered ones, character for character."""
        return redirect_uri in clients.redirect_uris(self.record)

    def check_client_secret(self, client_secret: str) -> bool:
        """Return whether the secret is this client's."""
        return clients.secret_matches(self.record, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        """Return whether the client may authenticate this way (HTTP Basic only)."""
        return method in AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        """Return whether the response type is `code`."""
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        """Return whether the client registered this grant type."""
        return grant_type in self.record.grant_types.split()


class Code:
    """An authorization code record as Authlib sees it."""

    def __init__(self, record: AuthorizationCode) -> None:
        self.record = record
        self.code_challenge = record.code_challenge
        self.code_challenge_method = record.code_challenge_method

    def get_redirect_uri(self) -> str:
        """Return the redirect URI the code was issued for."""
        return self.record.redirect_uri

    def get_scope(self) -> str:
        """Return the consented scope."""
        return self.record.scope


class IssuedToken(TokenMixin):
    """A token record as Authlib sees it."""

    def __init__(self, record: Token) -> None:
        self.record = record

    def check_client(self, client: Client) -> bool:
        """Return whether the token was issued to this client."""
        return self.record.connection.client_id == client.record.id

    def get_scope(self) -> str:
        """Return the token's scope."""
        return self.record.scope

    def get_expires_in(self) -> int:
        """Return the access token lifetime in seconds."""
        return int(current_app.config["OAUTH_ACCESS_TOKEN_LIFETIME"])

    def is_expired(self) -> bool:
        """Return whether the access token is past its lifetime."""
        return consent.access_expired(self.record)

    def is_revoked(self) -> bool:
        """Return whether the access token was revoked."""
        return self.record.access_revoked_at is not None

    def get_user(self) -> Any:
        """Return the holder."""
        return consent.user_of(self.record.connection)

    def get_client(self) -> Client:
        """Return the application."""
        return Client(self.record.connection.client)


class RequirePkceS256(CodeChallenge):
    """PKCE is mandatory (OB 3.0 §7) and only S256 is accepted, for confidential clients too."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        """Refuse an authorization request without a code_challenge or with another method."""
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge (S256).")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256.")
        super().validate_code_challenge(grant, redirect_uri)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    """The authorization code grant, storing codes hashed and refusing replays."""

    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    @staticmethod
    def validate_authorization_redirect_uri(request: Any, client: Client) -> str:
        """Require a registered redirect URI in every request (no default, no partial match)."""
        uri = request.payload.redirect_uri
        if not uri:
            raise InvalidRequestError("redirect_uri is required.")
        if not client.check_redirect_uri(uri):
            raise InvalidRequestError("redirect_uri is not registered for this client.")
        return uri

    def save_authorization_code(self, code: str, request: Any) -> None:
        """Store the consent the holder just gave, with the code's hash."""
        decision = request.consent
        data = request.payload.data
        consent.approve(
            request.user,
            request.client.record,
            code=code,
            scope=request.scope,
            badges=decision["badges"],
            badge_ids=decision["badge_ids"],
            redirect_uri=request.payload.redirect_uri,
            code_challenge=data["code_challenge"],
            code_challenge_method=data["code_challenge_method"],
        )

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        """Return the code (used up at once), or None when unknown, expired or replayed."""
        record = consent.redeem_code(code, client.record)
        return Code(record) if record is not None else None

    def delete_authorization_code(self, authorization_code: Code) -> None:
        """Nothing to do: redeeming the code already used it up."""

    def authenticate_user(self, authorization_code: Code) -> Any:
        """Return the holder who consented."""
        return consent.user_of(authorization_code.record.connection)


class RefreshTokenGrant(grants.RefreshTokenGrant):
    """Refresh (RFC 6749 §6): a new access token and a new refresh token; the old pair dies."""

    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> IssuedToken | None:
        """Return the live token the refresh token belongs to."""
        record = consent.find_refresh_token(refresh_token)
        return IssuedToken(record) if record is not None else None

    def authenticate_user(self, refresh_token: IssuedToken) -> Any:
        """Return the holder."""
        return refresh_token.get_user()

    def revoke_old_credential(self, refresh_token: IssuedToken) -> None:
        """Revoke the token pair the refresh token belonged to."""
        consent.revoke(refresh_token.record)


class Revocation(RevocationEndpoint):
    """RFC 7009 revocation: the client revokes its own access or refresh token."""

    CLIENT_AUTH_METHODS = AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> IssuedToken | None:
        """Find the token by either of its strings (the hint is only a hint)."""
        record = None
        if token_type_hint != "refresh_token":
            record = consent.find_access_token(token_string)
        if record is None:
            record = consent.find_refresh_token(token_string)
        if record is None and token_type_hint == "refresh_token":
            record = consent.find_access_token(token_string)
        return IssuedToken(record) if record is not None else None

    def revoke_token(self, token: IssuedToken, request: Any) -> None:
        """Revoke the pair: a refresh token must not outlive its revoked access token."""
        consent.revoke(token.record)


class Registration(ClientRegistrationEndpoint):
    """RFC 7591 open registration: no initial access token (OB 3.0 §7.1), our stricter rules."""

    def authenticate_token(self, request: Any) -> bool:
        """Accept every registration request: the OB 3.0 API requires open registration."""
        return True

    def extract_client_metadata(self, request: Any) -> dict[str, Any]:
        """Return the metadata, checked by Authlib and then by the wallet's own rules."""
        data = request.payload.data
        try:
            accepted = clients.validate(data)
        except clients.RegistrationError as exc:
            error = _REGISTRATION_ERRORS.get(exc.error, InvalidClientMetadataError)
            # Authlib refuses descriptions with quotes or backslashes (RFC 6749 §5.2).
            raise error(_UNSAFE.sub("", exc.description)[:300]) from None
        return {**super().extract_client_metadata(request), **accepted}

    def generate_client_info(self, request: Any) -> dict[str, Any]:
        """Leave the credentials to save_client, which keeps only the secret's hash."""
        return {}

    def save_client(self, client_info: Any, client_metadata: Any, request: Any) -> Any:
        """Register the client and remember the response (with the one-time secret)."""
        request.registered = clients.register(client_metadata)
        return request.registered

    def generate_client_registration_info(self, client: Any, request: Any) -> dict[str, Any]:
        """Add client_id and client_secret to the response body."""
        return dict(client)

    def get_server_metadata(self) -> dict[str, Any]:
        """Return what the server supports, for Authlib's own metadata checks."""
        return {
            "scopes_supported": scopes.supported(),
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_methods_supported": AUTH_METHODS,
        }


class ConfiguredRequest(FlaskOAuth2Request):
    """A request whose URL uses the configured BASE_URL (behind a TLS proxy, the public https)."""

    def __init__(self, request: Any) -> None:
        super().__init__(request)
        self.uri = current_app.config["BASE_URL"] + request.full_path.rstrip("?")


class Server(AuthorizationServer):
    """The wallet's authorization server: hashed tokens tied to the holder's connection."""

    def create_oauth2_request(self, request: Any) -> ConfiguredRequest:
        """Build the OAuth request from Flask's, with the configured public URL."""
        return ConfiguredRequest(flask_request)

    def validate_requested_scope(self, scope: str | None) -> None:
        """Accept only scopes some API registered (the client's own list is checked too)."""
        if scopes.unknown(scope):
            from authlib.oauth2.rfc6749 import InvalidScopeError

            raise InvalidScopeError()

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        """Store the issued token's hashes under the holder's connection."""
        code = request.authorization_code
        if code is not None:
            consent.save_token(code.record.connection, token, code_id=code.record.id)
            return
        consent.save_token(request.refresh_token.record.connection, token)


def build(app: Flask) -> Server:
    """Create the authorization server for app (one per app: tests build many apps)."""
    server = Server(query_client=_query_client)
    server.register_token_generator(
        "default",
        BearerTokenGenerator(
            access_token_generator=_token,
            refresh_token_generator=_token,
            expires_generator=lambda client, grant_type: int(
                app.config["OAUTH_ACCESS_TOKEN_LIFETIME"]
            ),
        ),
    )
    server.scopes_supported = None  # checked by validate_requested_scope against the registry
    server.register_grant(AuthorizationCodeGrant, [RequirePkceS256(required=True)])
    server.register_grant(RefreshTokenGrant)
    server.register_endpoint(Revocation)
    server.register_endpoint(Registration)
    app.extensions[SERVER] = server
    return server


def current() -> Server:
    """Return the current app's authorization server."""
    return current_app.extensions[SERVER]


def _query_client(client_id: str) -> Client | None:
    record = clients.find(client_id)
    return Client(record) if record is not None else None


def _token(*args: Any, **kwargs: Any) -> str:
    import secrets

    return secrets.token_urlsafe(32)
