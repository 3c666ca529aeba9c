"""Routers of the Galaxy-compatible REST API."""
