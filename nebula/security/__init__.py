"""Secrets: opaque ids, password hashes, API keys and session tokens."""
