"""Machine interfaces (OB 3.0 and 2.1 API hosts, OAuth 2.0, OpenID4VCI), thin over the services."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the OAuth 2.0 server and the API blueprints on app."""
    from wallet.api import oid4vci
    from wallet.api.oauth import server
    from wallet.api.oauth import views as oauth_views
    from wallet.api.ob3 import views as ob3_views
    from wallet.api.ob21 import views as ob21_views
    from wallet.services.oauth import scopes

    server.build(app)
    app.register_blueprint(oauth_views.bp)
    app.register_blueprint(ob3_views.bp)
    app.register_blueprint(ob21_views.bp)
    app.register_blueprint(ob21_views.well_known)

    app.register_blueprint(oid4vci.bp)
    app.before_request(ob3_views.refuse_other_methods)
    app.before_request(ob21_views.refuse_other_methods)
    # What each connected application may do, for the holder's list of connections.
    app.jinja_env.globals["scopes_granted"] = scopes.granted
