"""WSGI entry point: `gunicorn wsgi:app` (settings come from WALLET_* environment variables)."""

from wallet import create_app

app = create_app()
