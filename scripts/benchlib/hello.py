"""The HTTP benchmarks' baseline: a bare Flask app answering "hello" (same gunicorn settings)."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    """Return the smallest useful answer."""
    return "hello"
