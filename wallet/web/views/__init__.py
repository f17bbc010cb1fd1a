"""Blueprints: parse the request, call one service, render a page, fragment or redirect."""
