"""Nebula: a web platform for interactive genome analysis."""

__version__ = "0.1.0"
