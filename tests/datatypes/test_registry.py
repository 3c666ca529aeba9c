"""The datatype registry: lookup, hierarchy and the classes' attributes."""

from __future__ import annotations

import pytest

from nebula.datatypes import DatatypeRegistry, default_registry
from nebula.datatypes.base import Datatype
from nebula.datatypes.text import Text
from nebula.errors import DatatypeError

EXPECTED_PARENTS = {
    "data": None,
    "txt": "data",
    "tabular": "txt",
    "sam": "tabular",
    "interval": "tabular",
    "bed": "interval",
    "gff": "tabular",
    "gtf": "gff",
    "sequence": "txt",
    "fasta": "sequence",
}


def test_extensions_lists_every_datatype(registry: DatatypeRegistry):
    assert registry.extensions() == sorted(EXPECTED_PARENTS)


@pytest.mark.parametrize(("ext", "parent"), EXPECTED_PARENTS.items())
def test_datatype_attributes(registry: DatatypeRegistry, ext: str, parent: str | None):
    datatype = registry.get(ext)

    assert datatype.ext == ext
    assert datatype.parent == parent
    assert datatype.is_text == (ext != "data")
    assert datatype.mime_type == ("text/plain" if ext != "data" else "application/octet-stream")


def test_get_unknown_lists_known(registry: DatatypeRegistry):
    with pytest.raises(DatatypeError) as raised:
        registry.get("xyz")

    message = str(raised.value)
    assert message.startswith("unknown datatype 'xyz'; known: bed, data, fasta, ")
    assert message.endswith(", txt")
    assert raised.value.status_code == 400


def test_contains(registry: DatatypeRegistry):
    assert "bed" in registry
    assert "vcf" not in registry


@pytest.mark.parametrize(
    ("ext", "parent"),
    [
        ("bed", "bed"),
        ("bed", "interval"),
        ("bed", "tabular"),
        ("bed", "txt"),
        ("bed", "data"),
        ("gtf", "gff"),
        ("gtf", "tabular"),
        ("fasta", "sequence"),
        ("fasta", "txt"),
    ],
)
def test_is_subtype_true(registry: DatatypeRegistry, ext: str, parent: str):
    assert registry.is_subtype(ext, parent)


@pytest.mark.parametrize(
    ("ext", "parent"),
    [
        ("interval", "bed"),
        ("gff", "interval"),
        ("bed", "gff"),
        ("fasta", "tabular"),
        ("data", "txt"),
    ],
)
def test_is_subtype_false(registry: DatatypeRegistry, ext: str, parent: str):
    assert not registry.is_subtype(ext, parent)


@pytest.mark.parametrize(("ext", "parent"), [("vcf", "tabular"), ("bed", "vcf")])
def test_is_subtype_unknown_raises(registry: DatatypeRegistry, ext: str, parent: str):
    with pytest.raises(DatatypeError, match="unknown datatype 'vcf'"):
        registry.is_subtype(ext, parent)


def test_default_registry_is_shared():
    assert default_registry() is default_registry()


def test_register_twice_raises():
    registry = DatatypeRegistry([Datatype(), Text()], sniff_order=["txt"])

    with pytest.raises(ValueError, match="'txt' is already registered"):
        registry.register(Text())


def test_register_before_parent_raises():
    with pytest.raises(ValueError, match="names parent 'data', which must be registered first"):
        DatatypeRegistry([Text()], sniff_order=[])


def test_custom_sniff_order(tmp_path):
    path = tmp_path / "table.tsv"
    path.write_text("a\tb\n")
    registry = DatatypeRegistry([Datatype(), Text()], sniff_order=["txt"])

    assert registry.sniff(path) == "txt"
