"""Parameter validators declared with `<validator type="...">` in a tool's XML.

Each validator checks one value (a string, a number, or a `DatasetInfo` for data
parameters) and returns a problem description, or None when the value passes. The
caller adds the parameter's name, so messages here describe only the value.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

from lxml import etree

from nebula.errors import ToolLoadError

SUPPORTED_VALIDATORS = (
    "regex",
    "in_range",
    "length",
    "expression",
    "empty_field",
    "metadata",
    "dataset_ok_validator",
)

# Functions an `expression` validator may call. Anything else is rejected at load time,
# because Galaxy evaluates these expressions as arbitrary Python and Nebula does not.
_EXPRESSION_FUNCTIONS: dict[str, Any] = {
    "len": len,
    "int": int,
    "float": float,
    "str": str,
    "abs": abs,
    "min": min,
    "max": max,
    "bool": bool,
}
_EXPRESSION_METHODS = frozenset(
    {
        "startswith",
        "endswith",
        "isdigit",
        "isalpha",
        "isalnum",
        "isspace",
        "islower",
        "isupper",
        "strip",
        "lstrip",
        "rstrip",
        "lower",
        "upper",
        "split",
        "count",
        "find",
    }
)
_EXPRESSION_NODES = (
    ast.Expression,
    ast.BoolOp,
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.Call,
    ast.Attribute,
    ast.Subscript,
    ast.Slice,
    ast.Tuple,
    ast.List,
    ast.IfExp,
    ast.boolop,
    ast.operator,
    ast.unaryop,
    ast.cmpop,
)


@dataclass(frozen=True)
class Validator:
    """Base of all validators: `message` overrides the built-in description, and
    `negate` inverts the check."""

    message: str | None
    negate: bool

    def check(self, value: Any) -> str | None:
        """Return a description of why `value` fails, or None when it passes."""
        passed = self._passes(value)
        if passed != self.negate:
            return None
        return self.message or self._describe(value)

    def _passes(self, value: Any) -> bool:
        raise NotImplementedError

    def _describe(self, value: Any) -> str:
        return f"value {value!r} is invalid"


@dataclass(frozen=True)
class RegexValidator(Validator):
    """The value must match `pattern` from its start, as Python's `re.match` does."""

    pattern: str

    def _passes(self, value: Any) -> bool:
        return re.match(self.pattern, str(value)) is not None

    def _describe(self, value: Any) -> str:
        return f"value {value!r} does not match the pattern {self.pattern!r}"


@dataclass(frozen=True)
class InRangeValidator(Validator):
    min: float | None
    max: float | None
    exclude_min: bool
    exclude_max: bool

    def _passes(self, value: Any) -> bool:
        number = float(value)
        if self.min is not None:
            if number < self.min or (self.exclude_min and number == self.min):
                return False
        if self.max is not None:
            if number > self.max or (self.exclude_max and number == self.max):
                return False
        return True

    def _describe(self, value: Any) -> str:
        low = "(" if self.exclude_min else "["
        high = ")" if self.exclude_max else "]"
        low_value = "-inf" if self.min is None else f"{self.min:g}"
        high_value = "inf" if self.max is None else f"{self.max:g}"
        return f"value {value!r} is outside the range {low}{low_value}, {high_value}{high}"


@dataclass(frozen=True)
class LengthValidator(Validator):
    min: int | None
    max: int | None

    def _passes(self, value: Any) -> bool:
        length = len(str(value))
        too_short = self.min is not None and length < self.min
        too_long = self.max is not None and length > self.max
        return not (too_short or too_long)

    def _describe(self, value: Any) -> str:
        return (
            f"value {value!r} must have a length between {self.min or 0} and "
            f"{'any' if self.max is None else self.max} characters"
        )


@dataclass(frozen=True)
class ExpressionValidator(Validator):
    """A Python expression over `value`, restricted to a safe subset at load time."""

    expression: str

    def _passes(self, value: Any) -> bool:
        code = compile(self.expression, "<validator>", "eval")
        namespace = {"value": value, **_EXPRESSION_FUNCTIONS}
        try:
            return bool(eval(code, {"__builtins__": {}}, namespace))  # noqa: S307
        except (ValueError, TypeError, IndexError, ZeroDivisionError, AttributeError):
            return False

    def _describe(self, value: Any) -> str:
        return f"value {value!r} does not satisfy {self.expression!r}"


@dataclass(frozen=True)
class EmptyFieldValidator(Validator):
    def _passes(self, value: Any) -> bool:
        return str(value) != ""

    def _describe(self, value: Any) -> str:
        return "a value is required"


@dataclass(frozen=True)
class MetadataValidator(Validator):
    """A dataset must have non-empty values for the `check` metadata names (all names
    when `check` is empty), ignoring the `skip` names."""

    check_names: tuple[str, ...]
    skip_names: tuple[str, ...]

    def _passes(self, value: Any) -> bool:
        metadata = getattr(value, "metadata", {}) or {}
        names = self.check_names or tuple(metadata)
        return all(
            metadata.get(name) not in (None, "", [])
            for name in names
            if name not in self.skip_names
        )

    def _describe(self, value: Any) -> str:
        name = getattr(value, "name", value)
        return f"dataset {name!r} lacks required metadata; set it with Edit attributes"


@dataclass(frozen=True)
class DatasetOkValidator(Validator):
    def _passes(self, value: Any) -> bool:
        return getattr(value, "state", "ok") == "ok"

    def _describe(self, value: Any) -> str:
        name = getattr(value, "name", value)
        return f"dataset {name!r} is not ready (state {getattr(value, 'state', '?')!r})"


def parse_validator(element: etree._Element, path: str) -> Validator:
    """Build the validator that `<validator>` describes, raising ToolLoadError for an
    unsupported type or an unsafe expression."""
    kind = element.get("type", "")
    message = element.get("message")
    negate = _is_true(element.get("negate"))
    text = (element.text or "").strip()
    where = f"validator type='{kind}'"

    if kind == "regex":
        try:
            re.compile(text)
        except re.error as exc:
            raise ToolLoadError(
                path, f"invalid regular expression {text!r}: {exc}", element=where
            ) from exc
        return RegexValidator(message, negate, text)
    if kind == "in_range":
        return InRangeValidator(
            message,
            negate,
            _number(element.get("min"), path, where),
            _number(element.get("max"), path, where),
            _is_true(element.get("exclude_min")),
            _is_true(element.get("exclude_max")),
        )
    if kind == "length":
        low = _number(element.get("min"), path, where)
        high = _number(element.get("max"), path, where)
        return LengthValidator(
            message, negate, None if low is None else int(low), None if high is None else int(high)
        )
    if kind == "expression":
        _check_expression(text, path, where)
        return ExpressionValidator(message, negate, text)
    if kind == "empty_field":
        return EmptyFieldValidator(message, negate)
    if kind == "metadata":
        return MetadataValidator(
            message, negate, _name_list(element.get("check")), _name_list(element.get("skip"))
        )
    if kind == "dataset_ok_validator":
        return DatasetOkValidator(message, negate)
    raise ToolLoadError(
        path,
        f"validator type {kind!r} is not supported by Nebula; "
        f"supported: {', '.join(SUPPORTED_VALIDATORS)}",
        element=where,
    )


def _check_expression(text: str, path: str, where: str) -> None:
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ToolLoadError(path, f"invalid expression {text!r}: {exc.msg}", element=where) from exc
    for node in ast.walk(tree):
        problem = None
        if not isinstance(node, _EXPRESSION_NODES):
            problem = f"the construct {type(node).__name__} is not allowed"
        elif (
            isinstance(node, ast.Name)
            and node.id not in _EXPRESSION_FUNCTIONS
            and node.id not in ("value", "True", "False", "None")
        ):
            problem = f"the name {node.id!r} is not allowed"
        elif isinstance(node, ast.Attribute) and node.attr not in _EXPRESSION_METHODS:
            problem = f"the attribute {node.attr!r} is not allowed"
        if problem:
            raise ToolLoadError(
                path,
                f"expression {text!r}: {problem}; Nebula evaluates only `value`, literals, "
                f"operators, {', '.join(sorted(_EXPRESSION_FUNCTIONS))} and string methods",
                element=where,
            )


def _number(text: str | None, path: str, where: str) -> float | None:
    if text is None or text == "":
        return None
    try:
        return float(text)
    except ValueError as exc:
        raise ToolLoadError(path, f"{text!r} is not a number", element=where) from exc


def _name_list(text: str | None) -> tuple[str, ...]:
    return tuple(name.strip() for name in (text or "").split(",") if name.strip())


def _is_true(text: str | None) -> bool:
    return (text or "").strip().lower() in ("true", "yes", "1")
