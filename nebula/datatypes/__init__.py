"""Datatypes: what a dataset's format is, how to recognise it and what metadata it carries."""

from nebula.datatypes.base import Datatype
from nebula.datatypes.registry import DatatypeRegistry, default_registry

__all__ = ["Datatype", "DatatypeRegistry", "default_registry"]
