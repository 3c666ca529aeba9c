"""Runners execute claimed jobs; the database records what happened."""
