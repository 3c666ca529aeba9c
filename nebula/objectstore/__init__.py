"""Object stores: where dataset files live, addressed by key, never by a path web code builds."""

from nebula.objectstore.base import ObjectStore, new_object_key
from nebula.objectstore.disk import DiskObjectStore

__all__ = ["DiskObjectStore", "ObjectStore", "new_object_key"]
