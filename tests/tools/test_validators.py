"""Parameter validators declared in tool XML."""

from __future__ import annotations

import pytest
from lxml import etree

from nebula.errors import ToolLoadError
from nebula.tools import DatasetInfo
from nebula.tools.validators import parse_validator


def validator(xml):
    return parse_validator(etree.fromstring(xml), "tool.xml")


def test_regex_matches_from_start():
    check = validator('<validator type="regex">[0-9]+</validator>')

    assert check.check("12ab") is None
    assert "does not match" in check.check("ab12")


def test_negated_regex_inverts():
    check = validator('<validator type="regex" negate="true" message="no digits">[0-9]</validator>')

    assert check.check("abc") is None
    assert check.check("1bc") == "no digits"


def test_in_range_respects_exclusive_bounds():
    check = validator('<validator type="in_range" min="0" max="1" exclude_min="true"/>')

    assert check.check(0.5) is None
    assert check.check(1) is None
    assert check.check(0) == "value 0 is outside the range (0, 1]"


def test_length_bounds():
    check = validator('<validator type="length" min="2" max="3"/>')

    assert check.check("ab") is None
    assert check.check("a") is not None
    assert check.check("abcd") is not None


def test_expression_evaluates_safe_subset():
    check = validator(
        '<validator type="expression">'
        'len(value.split(",")) &lt;= 2 and not value.startswith("x")'
        "</validator>"
    )

    assert check.check("a,b") is None
    assert check.check("a,b,c") is not None
    assert check.check("xa") is not None


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os')",
        "value.__class__",
        "open('/etc/passwd')",
        "[x for x in value]",
        "lambda: 1",
    ],
)
def test_expression_rejects_unsafe_constructs(expression):
    xml = f"<validator type='expression'>{expression}</validator>"

    with pytest.raises(ToolLoadError, match="validator type='expression'"):
        validator(xml)


def test_metadata_validator_requires_values():
    check = validator('<validator type="metadata" check="chromCol,startCol"/>')

    assert check.check(DatasetInfo("a", "bed", {"chromCol": 1, "startCol": 2})) is None
    assert "lacks required metadata" in check.check(
        DatasetInfo("a", "bed", {"chromCol": 1}, name="x")
    )


def test_unknown_validator_type_is_rejected():
    with pytest.raises(
        ToolLoadError, match="validator type 'dataset_metadata_in_range' is not supported"
    ):
        validator('<validator type="dataset_metadata_in_range"/>')
