"""Python-like row expressions over columns c1..cN, evaluated without `eval`.

Filter1 conditions (`c1=='chr22' and c3-c2>=100`), Add_a_column1 expressions and the
Summary_Statistics1 expression use this small language. The text is parsed once with
`ast.parse(mode="eval")`, every node is checked against a whitelist, and the tree is
turned into nested Python closures that are called once per row. User text is never
passed to `eval`, `exec` or `compile`, and no node can reach an attribute, a subscript,
a builtin outside the whitelist or any name other than a column or a constant.

Allowed: literals (numbers, strings, True, False, None), columns c1..cN, the constants
pi, e, inf and nan, + - * / // % **, unary - + and `not`, `and`/`or`, comparisons
(chained too), `in`/`not in`, `a if test else b`, tuple and list displays, and calls
(positional arguments only) of the functions in FUNCTIONS. Everything else is rejected
when the expression is parsed, with a message naming the offending part.

Work per row is bounded: integer powers and products may not exceed MAX_INT_BITS,
strings built by * or + may not exceed MAX_STRING_LENGTH characters, and round() takes
at most MAX_ROUND_DIGITS digits. A row whose evaluation fails (a value of the wrong type,
a division by zero, a bound exceeded) raises one of ROW_ERRORS; callers skip such rows.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from nebula.errors import ParameterError

MAX_EXPRESSION_LENGTH = 2000
MAX_STRING_LENGTH = 1_000_000
MAX_INT_BITS = 100_000
MAX_ROUND_DIGITS = 100

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e, "inf": math.inf, "nan": math.nan}

# Galaxy's default sanitizer tokens, plus the comparison tokens older Galaxy releases used.
SANITIZER_TOKENS = {
    "__sq__": "'",
    "__dq__": '"',
    "__lt__": "<",
    "__le__": "<=",
    "__eq__": "==",
    "__ne__": "!=",
    "__gt__": ">",
    "__ge__": ">=",
    "__ob__": "[",
    "__cb__": "]",
    "__oc__": "{",
    "__cc__": "}",
    "__at__": "@",
    "__pd__": "#",
    "__cn__": "\n",
    "__cr__": "\r",
    "__tc__": "\t",
}

_COLUMN_NAME = re.compile(r"c([1-9][0-9]*)")
_TOKEN = re.compile("|".join(re.escape(token) for token in SANITIZER_TOKENS))

Row = Sequence[Any]
Evaluator = Callable[[Row], Any]


class EvaluationError(ValueError):
    """A row's values made the expression exceed a bound or use a value of the wrong kind."""


# Exceptions that mean "this row cannot be evaluated", so callers skip and count the row.
ROW_ERRORS = (ArithmeticError, ValueError, TypeError, IndexError)


@dataclass(frozen=True)
class Expression:
    """A checked expression: its text, the 1-based columns it reads and its evaluator."""

    text: str
    columns: tuple[int, ...]
    _evaluator: Evaluator

    @property
    def max_column(self) -> int:
        return max(self.columns, default=0)

    def evaluate(self, row: Row) -> Any:
        """Evaluate for one row, where `row[i]` is the converted value of column i+1."""
        result = self._evaluator(row)
        if isinstance(result, complex):
            raise EvaluationError("the result is a complex number")
        return result


def restore_sanitized(text: str) -> str:
    """Map the `__sq__`-style tokens of Galaxy's parameter sanitizer back to characters."""
    return _TOKEN.sub(lambda match: SANITIZER_TOKENS[match.group(0)], text)


def parse_expression(
    text: str,
    *,
    parameter: str = "cond",
    max_column: int | None = None,
    caret_is_power: bool = False,
) -> Expression:
    """Parse and check `text`, raising ParameterError that names the offending part.

    `max_column` is the number of columns of the dataset, when known. With
    `caret_is_power`, `^` means a power, as in R.
    """
    stripped = text.strip()
    if not stripped:
        raise ParameterError(parameter, f"the expression of parameter '{parameter}' is empty")
    if len(stripped) > MAX_EXPRESSION_LENGTH:
        raise ParameterError(
            parameter,
            f"the expression of parameter '{parameter}' has {len(stripped)} characters, "
            f"at most {MAX_EXPRESSION_LENGTH} are allowed",
        )
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as error:
        where = f" at column {error.offset}" if error.offset else ""
        raise ParameterError(
            parameter,
            f"expression '{stripped}' is not valid syntax: {error.msg}{where}",
        ) from None
    except (RecursionError, MemoryError, ValueError):
        raise ParameterError(
            parameter, f"expression '{stripped}' is nested too deeply or is not valid text"
        ) from None

    builder = _Builder(stripped, parameter, caret_is_power)
    try:
        evaluator = builder.build(tree.body)
    except RecursionError:
        raise ParameterError(parameter, f"expression '{stripped}' is nested too deeply") from None
    columns = tuple(sorted(builder.columns))
    if max_column is not None and columns and columns[-1] > max_column:
        raise ParameterError(
            parameter,
            f"expression '{stripped}' uses column c{columns[-1]}, but the dataset has "
            f"{max_column} column{'s' if max_column != 1 else ''}",
        )
    return Expression(stripped, columns, evaluator)


def column_converter(type_name: str) -> Callable[[str], Any]:
    """Return the conversion Galaxy applies to a column of this metadata type."""
    if type_name == "int":
        return int
    if type_name == "float":
        return float
    # 'str', 'list' and unknown types stay text.
    return str


def build_row(
    fields: Sequence[str], columns: Sequence[int], converters: Sequence[Callable[[str], Any]]
) -> list[Any]:
    """Convert the used columns of a row, leaving the others None. Raise a ROW_ERRORS member."""
    if not columns:
        return []
    if len(fields) < columns[-1]:
        raise IndexError(f"the row has {len(fields)} columns, the expression uses c{columns[-1]}")
    row: list[Any] = [None] * columns[-1]
    for column in columns:
        index = column - 1
        convert = converters[index] if index < len(converters) else str
        row[index] = convert(fields[index])
    return row


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name}() needs text, got {type(value).__name__}")
    return value


def _round(value: Any, digits: Any = None) -> Any:
    if digits is None:
        return round(value)
    if not isinstance(digits, int) or abs(digits) > MAX_ROUND_DIGITS:
        raise EvaluationError(f"round() takes at most {MAX_ROUND_DIGITS} digits")
    return round(value, digits)


def _log(value: Any, base: Any = None) -> float:
    return math.log(value) if base is None else math.log(value, base)


def _split(value: Any, separator: Any = None) -> tuple[str, ...]:
    text = _text(value, "split")
    if separator is not None and (not isinstance(separator, str) or not separator):
        raise ValueError("split() needs a non-empty text separator")
    return tuple(text.split(separator))


def _extreme(choose: Callable[..., Any]) -> Callable[..., Any]:
    def pick(*values: Any) -> Any:
        if len(values) == 1:
            (values,) = values
            if not isinstance(values, tuple | str):
                raise TypeError("min() and max() of one argument need a tuple or text")
        return choose(values)

    return pick


# name: (function, minimum arguments, maximum arguments or None for any number)
FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int | None]] = {
    "abs": (abs, 1, 1),
    "min": (_extreme(min), 1, None),
    "max": (_extreme(max), 1, None),
    "round": (_round, 1, 2),
    "int": (int, 1, 1),
    "float": (float, 1, 1),
    "str": (str, 1, 1),
    "bool": (bool, 1, 1),
    "len": (len, 1, 1),
    "log": (_log, 1, 2),
    "log10": (math.log10, 1, 1),
    "log2": (math.log2, 1, 1),
    "exp": (math.exp, 1, 1),
    "sqrt": (math.sqrt, 1, 1),
    "floor": (math.floor, 1, 1),
    "ceil": (math.ceil, 1, 1),
    "ceiling": (math.ceil, 1, 1),
    "trunc": (math.trunc, 1, 1),
    "lower": (lambda value: _text(value, "lower").lower(), 1, 1),
    "upper": (lambda value: _text(value, "upper").upper(), 1, 1),
    "strip": (lambda value: _text(value, "strip").strip(), 1, 1),
    "startswith": (lambda value, prefix: _text(value, "startswith").startswith(prefix), 2, 2),
    "endswith": (lambda value, suffix: _text(value, "endswith").endswith(suffix), 2, 2),
    "split": (_split, 1, 2),
}


def _add(left: Any, right: Any) -> Any:
    result = left + right
    if isinstance(result, str | tuple) and len(result) > MAX_STRING_LENGTH:
        raise EvaluationError(f"a text would be longer than {MAX_STRING_LENGTH} characters")
    return result


def _multiply(left: Any, right: Any) -> Any:
    if isinstance(left, str | tuple) or isinstance(right, str | tuple):
        sequence, count = (left, right) if isinstance(left, str | tuple) else (right, left)
        if isinstance(count, int) and len(sequence) * max(count, 0) > MAX_STRING_LENGTH:
            raise EvaluationError(f"a text would be longer than {MAX_STRING_LENGTH} characters")
    elif _is_int(left) and _is_int(right):
        if abs(left).bit_length() + abs(right).bit_length() > MAX_INT_BITS:
            raise EvaluationError(f"an integer would have more than {MAX_INT_BITS} bits")
    return left * right


def _power(left: Any, right: Any) -> Any:
    if _is_int(left) and _is_int(right) and right > 0 and abs(left) > 1:
        if right * abs(left).bit_length() > MAX_INT_BITS:
            raise EvaluationError(f"an integer power would have more than {MAX_INT_BITS} bits")
    result = left**right
    if isinstance(result, complex):
        raise EvaluationError("the power is a complex number")
    return result


def _modulo(left: Any, right: Any) -> Any:
    # `text % values` is printf-style formatting in Python, which can build huge strings.
    if isinstance(left, str):
        raise TypeError("% works on numbers only")
    return left % right


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _contains(container: Any, item: Any) -> bool:
    if not isinstance(container, str | tuple):
        raise TypeError(f"'in' needs text or a tuple on its right, got {type(container).__name__}")
    return item in container


_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: _add,
    ast.Sub: operator.sub,
    ast.Mult: _multiply,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: _modulo,
    ast.Pow: _power,
}
_COMPARE: dict[type, Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda item, container: _contains(container, item),
    ast.NotIn: lambda item, container: not _contains(container, item),
}
_OPERATOR_SYMBOLS = {
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.MatMult: "@",
    ast.Invert: "~",
    ast.Is: "is",
    ast.IsNot: "is not",
}
# Node types rejected with a description. Anything not handled and not listed here is
# reported by its class name.
_REJECTED = {
    ast.Attribute: "attribute access",
    ast.Subscript: "a subscript",
    ast.Lambda: "a lambda function",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.NamedExpr: "an assignment expression (:=)",
    ast.JoinedStr: "an f-string",
    ast.FormattedValue: "an f-string",
    ast.Starred: "a starred argument",
    ast.Dict: "a dictionary",
    ast.Set: "a set",
    ast.Slice: "a slice",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}


class _Builder:
    """Checks an expression tree and turns it into closures, collecting used columns."""

    def __init__(self, text: str, parameter: str, caret_is_power: bool) -> None:
        self.text = text
        self.parameter = parameter
        self.caret_is_power = caret_is_power
        self.columns: set[int] = set()
        self._column_references = 0

    def build(self, node: ast.AST) -> Evaluator:
        handler = getattr(self, f"_build_{type(node).__name__}", None)
        if handler is None:
            what = _REJECTED.get(type(node), f"the syntax {type(node).__name__}")
            self._reject(node, f"{what} ({self._segment(node)!r}) is not supported")
        references = self._column_references
        evaluator = handler(node)
        if references == self._column_references and isinstance(
            node, ast.BinOp | ast.UnaryOp | ast.Call
        ):
            self._check_constant(node, evaluator)
        return evaluator

    def _check_constant(self, node: ast.AST, evaluator: Evaluator) -> None:
        # A part without columns gives the same result on every row, so a bound it
        # exceeds ('9**9**9') or an error it raises ('1/0') is reported before any row.
        try:
            evaluator(())
        except ROW_ERRORS as error:
            self._reject(node, f"{self._segment(node)!r} cannot be computed: {error}")

    def _build_Constant(self, node: ast.Constant) -> Evaluator:
        value = node.value
        if value is not None and not isinstance(value, bool | int | float | str):
            self._reject(node, f"the literal {self._segment(node)!r} is not supported")
        return lambda row: value

    def _build_Name(self, node: ast.Name) -> Evaluator:
        name = node.id
        match = _COLUMN_NAME.fullmatch(name)
        if match:
            column = int(match.group(1))
            self.columns.add(column)
            self._column_references += 1
            index = column - 1
            return lambda row: row[index]
        if name in CONSTANTS:
            value = CONSTANTS[name]
            return lambda row: value
        if name.startswith("__"):
            self._reject(node, f"names starting with '__' ('{name}') are not allowed")
        if name in FUNCTIONS:
            self._reject(node, f"the function '{name}' must be called, as in {name}(c1)")
        self._reject(
            node,
            f"unknown name '{name}'; use columns c1, c2, ... or the constants "
            f"{', '.join(CONSTANTS)}",
        )

    def _build_BinOp(self, node: ast.BinOp) -> Evaluator:
        kind = type(node.op)
        if kind is ast.BitXor and self.caret_is_power:
            kind = ast.Pow
        function = _BINARY.get(kind)
        if function is None:
            symbol = _OPERATOR_SYMBOLS.get(kind, type(node.op).__name__)
            self._reject(
                node, f"the operator '{symbol}' ({self._segment(node)!r}) is not supported"
            )
        if (
            kind is ast.Mod
            and isinstance(node.left, ast.Constant)
            and isinstance(node.left.value, str)
        ):
            self._reject(node, f"text formatting with % ({self._segment(node)!r}) is not supported")
        left, right = self.build(node.left), self.build(node.right)
        return lambda row: function(left(row), right(row))

    def _build_UnaryOp(self, node: ast.UnaryOp) -> Evaluator:
        operand = self.build(node.operand)
        if isinstance(node.op, ast.USub):
            return lambda row: -operand(row)
        if isinstance(node.op, ast.UAdd):
            return lambda row: +operand(row)
        if isinstance(node.op, ast.Not):
            return lambda row: not operand(row)
        self._reject(node, f"the operator '~' ({self._segment(node)!r}) is not supported")

    def _build_BoolOp(self, node: ast.BoolOp) -> Evaluator:
        parts = [self.build(value) for value in node.values]
        if isinstance(node.op, ast.And):

            def both(row: Row) -> Any:
                result: Any = True
                for part in parts:
                    result = part(row)
                    if not result:
                        return result
                return result

            return both

        def either(row: Row) -> Any:
            result: Any = False
            for part in parts:
                result = part(row)
                if result:
                    return result
            return result

        return either

    def _build_Compare(self, node: ast.Compare) -> Evaluator:
        checks: list[Callable[[Any, Any], bool]] = []
        for op in node.ops:
            check = _COMPARE.get(type(op))
            if check is None:
                symbol = _OPERATOR_SYMBOLS.get(type(op), type(op).__name__)
                part = self._segment(node)
                self._reject(
                    node, f"the operator '{symbol}' ({part!r}) is not supported; use == or !="
                )
            checks.append(check)
        first = self.build(node.left)
        rest = [self.build(comparator) for comparator in node.comparators]

        def compare(row: Row) -> bool:
            left = first(row)
            for check, operand in zip(checks, rest, strict=True):
                right = operand(row)
                if not check(left, right):
                    return False
                left = right
            return True

        return compare

    def _build_IfExp(self, node: ast.IfExp) -> Evaluator:
        test, body, orelse = self.build(node.test), self.build(node.body), self.build(node.orelse)
        return lambda row: body(row) if test(row) else orelse(row)

    def _build_Tuple(self, node: ast.Tuple | ast.List) -> Evaluator:
        items = [self.build(element) for element in node.elts]
        return lambda row: tuple(item(row) for item in items)

    _build_List = _build_Tuple

    def _build_Call(self, node: ast.Call) -> Evaluator:
        if isinstance(node.func, ast.Attribute):
            self._reject(node.func, "")
        if not isinstance(node.func, ast.Name):
            # Building the callee reports lambdas, subscripts and other rejected parts.
            self.build(node.func)
            self._reject(
                node, f"only named functions can be called, not {self._segment(node.func)!r}"
            )
        name = node.func.id
        if name not in FUNCTIONS:
            self._reject(
                node,
                f"calling '{name}' is not allowed; allowed functions: {', '.join(FUNCTIONS)}",
            )
        if node.keywords:
            keyword = node.keywords[0].arg or "**"
            self._reject(node, f"keyword arguments ('{keyword}=') are not supported in {name}()")
        for argument in node.args:
            if isinstance(argument, ast.Starred):
                self._reject(
                    argument, f"starred arguments ({self._segment(argument)!r}) are not supported"
                )
        function, low, high = FUNCTIONS[name]
        count = len(node.args)
        if count < low or (high is not None and count > high):
            expected = (
                str(low) if low == high else f"{low} to {high}" if high else f"at least {low}"
            )
            self._reject(node, f"{name}() takes {expected} arguments, got {count}")
        arguments = [self.build(argument) for argument in node.args]
        return lambda row: function(*(argument(row) for argument in arguments))

    def _segment(self, node: ast.AST) -> str:
        segment = ast.get_source_segment(self.text, node)
        return segment if segment is not None else type(node).__name__

    def _reject(self, node: ast.AST, reason: str) -> NoReturn:
        if isinstance(node, ast.Attribute):
            reason = (
                f"attribute access ('.{node.attr}') is not supported; "
                "use functions such as lower(c1) instead"
            )
        raise ParameterError(self.parameter, f"expression '{self.text}' is not allowed: {reason}")
