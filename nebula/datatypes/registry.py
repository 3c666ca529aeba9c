"""The registry that maps a format extension to its datatype class.

Interface used by the rest of Nebula (kept stable while the classes grow):
- `default_registry()` returns the shared registry.
- `registry.get(ext)` returns the `Datatype` for an extension, raising DatatypeError.
- `registry.is_subtype(ext, parent)` says whether `ext` is `parent` or derives from it.
- `registry.sniff(path)` returns the extension that best describes a file's content.
- `Datatype.compute_metadata(path)` returns a JSON-serialisable dict.
- `Datatype.make_peek(path)` returns the first lines of the file for display.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

from nebula.datatypes.base import Datatype
from nebula.datatypes.gff import Gff, Gtf
from nebula.datatypes.interval import Bed, Interval
from nebula.datatypes.lines import read_head
from nebula.datatypes.sequence import Fasta, Sequence
from nebula.datatypes.tabular import Sam, Tabular
from nebula.datatypes.text import Text
from nebula.errors import DatatypeError

# Most specific first: the first datatype whose sniffer accepts a file names it.
SNIFF_ORDER = ("fasta", "gtf", "gff", "sam", "bed", "interval", "tabular", "txt")
BINARY_EXT = "data"


class DatatypeRegistry:
    """Datatypes by extension, with their hierarchy and the order to sniff them in."""

    def __init__(self, datatypes: Iterable[Datatype], sniff_order: Iterable[str]) -> None:
        self._by_ext: dict[str, Datatype] = {}
        for datatype in datatypes:
            self.register(datatype)
        self._sniff_order = [self.get(ext) for ext in sniff_order]

    def register(self, datatype: Datatype) -> None:
        """Add a datatype, after its parent."""
        if datatype.ext in self._by_ext:
            raise ValueError(f"datatype {datatype.ext!r} is already registered")
        if datatype.parent is not None and datatype.parent not in self._by_ext:
            raise ValueError(
                f"datatype {datatype.ext!r} names parent {datatype.parent!r}, "
                "which must be registered first"
            )
        self._by_ext[datatype.ext] = datatype

    def __contains__(self, ext: object) -> bool:
        return ext in self._by_ext

    def get(self, ext: str) -> Datatype:
        """Return the datatype of an extension, raising DatatypeError for an unknown one."""
        try:
            return self._by_ext[ext]
        except KeyError:
            known = ", ".join(self.extensions())
            raise DatatypeError(f"unknown datatype {ext!r}; known: {known}", datatype=ext) from None

    def extensions(self) -> list[str]:
        """Return every registered extension, abstract ones included, sorted."""
        return sorted(self._by_ext)

    def is_subtype(self, ext: str, parent: str) -> bool:
        """Return whether `ext` is `parent` or descends from it.

        Raises DatatypeError when either extension is unknown.
        """
        self.get(parent)
        current: str | None = ext
        while current is not None:
            if current == parent:
                return True
            current = self.get(current).parent
        return False

    def sniff(self, path: str | Path) -> str:
        """Return the extension that best describes a file, reading only its head.

        Binary content is `data`. Text that no other datatype accepts is `txt`, and so is
        an empty file.
        """
        head = read_head(path)
        if head.is_binary:
            return BINARY_EXT
        for datatype in self._sniff_order:
            if datatype.sniff(head):
                return datatype.ext
        return Text.ext


@cache
def default_registry() -> DatatypeRegistry:
    """Return the registry of Nebula's built-in datatypes, shared by the whole process."""
    datatypes = (
        Datatype(),
        Text(),
        Tabular(),
        Sam(),
        Interval(),
        Bed(),
        Gff(),
        Gtf(),
        Sequence(),
        Fasta(),
    )
    return DatatypeRegistry(datatypes, SNIFF_ORDER)
