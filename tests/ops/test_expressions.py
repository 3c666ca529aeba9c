"""The row expression language: what it accepts, what it rejects, and its bounds."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from nebula.errors import ParameterError
from nebula.ops.expressions import (
    MAX_STRING_LENGTH,
    ROW_ERRORS,
    EvaluationError,
    build_row,
    parse_expression,
    restore_sanitized,
)

from .helpers import run_ops, write_lines

# (expression, text the error must contain): each names the offending part.
ESCAPE_ATTEMPTS = [
    ("__import__('os')", "calling '__import__' is not allowed"),
    ("().__class__.__bases__[0].__subclasses__()", "attribute access ('.__subclasses__')"),
    ("c1.__class__", "attribute access ('.__class__') is not supported"),
    ("open('/etc/passwd')", "calling 'open' is not allowed"),
    ("exec('x')", "calling 'exec' is not allowed"),
    ("eval('1')", "calling 'eval' is not allowed"),
    ("globals()", "calling 'globals' is not allowed"),
    ("locals()['c1']", "a subscript ("),
    ("lambda: 1", "a lambda function ('lambda: 1')"),
    ("(lambda: 1)()", "a lambda function ('lambda: 1')"),
    ("[x for x in ()]", "a comprehension ('[x for x in ()]')"),
    ("(x for x in ())", "a generator expression"),
    ("getattr(c1, 'x')", "calling 'getattr' is not allowed"),
    ("(1).real", "attribute access ('.real')"),
    ("c1.lower()", "attribute access ('.lower')"),
    ("9**9**9", "'9**9**9' cannot be computed"),
    ("'a'*10**9", "\"'a'*10**9\" cannot be computed"),
    ("f'{c1}'", "an f-string"),
    ("(y := 1)", "an assignment expression (:=) ('y := 1')"),
    ("__builtins__", "names starting with '__' ('__builtins__')"),
    ("import os", "is not valid syntax"),
    ("c1[0]", "a subscript ('c1[0]')"),
    ("c1[::-1]", "a subscript ('c1[::-1]')"),
    ("type(c1)", "calling 'type' is not allowed"),
    ("max(*c1)", "starred arguments ('*c1')"),
    ("round(c1, ndigits=2)", "keyword arguments ('ndigits=')"),
    ("round(**{'number': 1})", "keyword arguments ('**=')"),
    ("{'a': 1}", "a dictionary ("),
    ("{1, 2}", "a set ("),
    ("c1 is None", "the operator 'is'"),
    ("c1 << 100000", "the operator '<<'"),
    ("~c1", "the operator '~'"),
    ("'%s%s' % (c1, c2)", "text formatting with %"),
    ("os", "unknown name 'os'"),
    ("c0", "unknown name 'c0'"),
    ("b'x'", "the literal \"b'x'\" is not supported"),
    ("1/0", "'1/0' cannot be computed: division by zero"),
    ("c1; c2", "is not valid syntax"),
    ("log", "the function 'log' must be called"),
    ("(c1)(2)", "calling 'c1' is not allowed"),
    ("'abc'(2)", "only named functions can be called"),
    ("x" * 3000, "at most 2000 are allowed"),
    ("(" * 500 + "1" + ")" * 500, "expression '"),
]


@pytest.mark.parametrize(
    ("text", "message"), ESCAPE_ATTEMPTS, ids=[t[:40] for t, _ in ESCAPE_ATTEMPTS]
)
def test_escape_attempt_is_rejected(text: str, message: str) -> None:
    with pytest.raises(ParameterError) as caught:
        parse_expression(text)

    assert message in caught.value.message
    assert caught.value.parameter == "cond"


def test_escape_attempts_cover_twenty_distinct_cases() -> None:
    assert len({text for text, _ in ESCAPE_ATTEMPTS}) >= 20


def test_error_names_the_expression_and_the_part() -> None:
    with pytest.raises(ParameterError) as caught:
        parse_expression("c1.__class__")

    assert caught.value.message == (
        "expression 'c1.__class__' is not allowed: attribute access ('.__class__') is not "
        "supported; use functions such as lower(c1) instead"
    )


@pytest.mark.parametrize(
    ("text", "row", "expected"),
    [
        ("c1=='chr22' and c3-c2>=100", ["chr22", 100, 250], True),
        ("c1=='chr22' and c3-c2>=100", ["chr22", 100, 150], False),
        ("c1 != 'chrX' or not c2", ["chrX", 0], True),
        ("1 < c1 <= 3 < c2", [3, 4], True),
        ("1 < c1 <= 3 < c2", [3, 2], False),
        ("c1 + c2 * 2 - 1", [1, 5], 10),
        ("c1 / 4", [2], 0.5),
        ("c1 // 4", [9], 2),
        ("c1 % 4", [9], 1),
        ("c1 ** 2", [-3], 9),
        ("-c1 + +c2", [3, 1], -2),
        ("c1 in ('chr1', 'chr2')", ["chr2"], True),
        ("c1 not in ['chr1', 'chr2']", ["chr3"], True),
        ("'_' in c1", ["NM_1"], True),
        ("'big' if c1 > 10 else 'small'", [11], "big"),
        ("c1 and c2", [0, 5], 0),
        ("c1 or c2", [0, 5], 5),
        ("None", [], None),
        ("True", [], True),
        ("1.5e3", [], 1500.0),
        ("'a' + \"b\"", [], "ab"),
        ("c1 * 3", ["ab"], "ababab"),
        ("abs(c1)", [-2], 2),
        ("min(c1, c2, 4)", [7, 5], 4),
        ("max(split(c1, ','))", ["b,a,c"], "c"),
        ("round(c1)", [2.5], 2),
        ("round(c1, 1)", [2.25], 2.2),
        ("int(c1) + float(c2)", ["7", "0.5"], 7.5),
        ("str(c1) + 'x'", [5], "5x"),
        ("bool(c1)", [""], False),
        ("len(c1)", ["abcd"], 4),
        ("len(split(c1, ',')) < 4", ["a,b,c"], True),
        ("log(c1)", [math.e], 1.0),
        ("log(c1, 2)", [8], 3.0),
        ("log10(c1) + log2(c2)", [100, 8], 5.0),
        ("exp(0) + sqrt(c1)", [16], 5.0),
        ("floor(c1) + ceil(c1) + ceiling(c1) + trunc(c1)", [1.5], 6),
        ("lower(c1) + upper(c2) + strip(c3)", ["AB", "cd", " e "], "abCDe"),
        ("startswith(c1, 'NM_') and endswith(c1, '_2')", ["NM_1_2"], True),
        ("split(c1)", ["a b  c"], ("a", "b", "c")),
        ("pi > 3 and e > 2 and inf > 1e308 and nan != nan", [], True),
        ("(c1, c2)", [1, 2], (1, 2)),
    ],
)
def test_allowed_grammar_evaluates(text: str, row: list[object], expected: object) -> None:
    expression = parse_expression(text)

    value = expression.evaluate(row)

    assert value == expected


def test_columns_are_collected_sorted() -> None:
    expression = parse_expression("c10 > c2 and c2 > c1")

    assert expression.columns == (1, 2, 10)
    assert expression.max_column == 10


def test_column_beyond_dataset_is_rejected() -> None:
    with pytest.raises(ParameterError) as caught:
        parse_expression("c9 > 1", max_column=6)

    assert "uses column c9, but the dataset has 6 columns" in caught.value.message


@pytest.mark.parametrize(
    ("text", "row"),
    [
        ("c1 ** c2", [10, 10**6]),
        ("c1 * c2", ["ab", MAX_STRING_LENGTH]),
        ("c1 + c2", ["a" * MAX_STRING_LENGTH, "b"]),
        ("round(c1, c2)", [5, -(10**9)]),
        ("c1 * c2", [2**60000, 2**60000]),
        ("c1 ** 0.5", [-8]),
    ],
)
def test_row_bounds_raise_evaluation_error(text: str, row: list[object]) -> None:
    expression = parse_expression(text)

    with pytest.raises(EvaluationError):
        expression.evaluate(row)


@pytest.mark.parametrize(
    ("text", "row"),
    [
        ("c1 > 5", ["abc"]),
        ("c1 / c2", [1, 0]),
        ("sqrt(c1)", [-1]),
        ("lower(c1)", [5]),
        ("c1 in c2", ["a", 5]),
        ("c1 % 2", ["text"]),
    ],
)
def test_bad_row_values_raise_row_errors(text: str, row: list[object]) -> None:
    expression = parse_expression(text)

    with pytest.raises(ROW_ERRORS):
        expression.evaluate(row)


def test_build_row_converts_only_used_columns() -> None:
    row = build_row(["chr1", "foo", "25"], (1, 3), [str, int, int])

    assert row == ["chr1", None, 25]


def test_build_row_rejects_short_rows() -> None:
    with pytest.raises(IndexError):
        build_row(["chr1"], (1, 3), [str, int, int])


def test_restore_sanitized_maps_galaxy_tokens_back() -> None:
    text = "c1==__sq__chr22__sq__ and c3-c2__gt__=100 and c4 __lt__ 5 and c5 in __ob__1__cb__"

    restored = restore_sanitized(text)

    assert restored == "c1=='chr22' and c3-c2>=100 and c4 < 5 and c5 in [1]"


def test_filter_with_malicious_condition_fails_cleanly(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.tab", ["chr1\t10\t20", "chr2\t30\t40"])
    output = tmp_path / "out.tab"

    result = run_ops(
        "table-filter",
        source,
        output,
        "--cond",
        "().__class__.__bases__[0].__subclasses__()",
        output=output,
    )

    assert result.returncode == 1
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert "attribute access ('.__subclasses__') is not supported" in result.stderr
    assert "Traceback" not in result.stderr
    assert not output.exists()


def test_filter_with_sanitized_import_attempt_fails_cleanly(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.tab", ["chr1\t10\t20"])
    output = tmp_path / "out.tab"

    result = run_ops(
        "table-filter",
        source,
        output,
        "--cond",
        "__import__(__sq__os__sq__).system(__sq__id__sq__)",
        output=output,
    )

    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "attribute access ('.system')" in result.stderr
