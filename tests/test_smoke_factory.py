"""The factory wires an app that serves its pages."""

from __future__ import annotations


def test_front_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Content-Security-Policy" in response.headers
