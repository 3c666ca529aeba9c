"""The `nebula-ops` console command: one subcommand per bundled tool.

The job system runs this command for every job of the bundled tools, so importing it
must stay cheap: only the standard library is imported at start, and each subcommand
imports its operation module when it runs. Each family of tools registers its
subcommands from its own module. A subcommand's handler returns the datasets it read
(their invalid-line summaries are printed) and info lines; both go to stdout, which job
pages show as the job's info. Fatal errors are one line on stderr and exit code 1.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

PROGRAM = "nebula-ops"
# Modules with a `register(subparsers)` function, one per family of tools.
COMMAND_FAMILIES = (
    "nebula.ops.interval_commands",
    "nebula.ops.text_commands",
    "nebula.ops.table_commands",
    "nebula.ops.sequence_commands",
)


_parser: argparse.ArgumentParser | None = None


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; return the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    command = f"{PROGRAM} {args.command}"
    try:
        from nebula.errors import NebulaError
    except ImportError as error:  # pragma: no cover - broken installation
        print(f"{command}: cannot import Nebula: {error}", file=sys.stderr)
        return 1
    try:
        inputs, info = args.handler(args)
    except NebulaError as error:
        print(f"{command}: {error.message}", file=sys.stderr)
        return 1
    except OSError as error:
        where = f" '{error.filename}'" if error.filename else ""
        print(f"{command}: cannot access{where}: {error.strerror or error}", file=sys.stderr)
        return 1
    except Exception as error:  # noqa: BLE001 - a job page must show a message, not a traceback
        print(f"{command}: internal error: {type(error).__name__}: {error}", file=sys.stderr)
        return 1

    for line in info:
        print(line)
    for dataset in inputs:
        summary = dataset.invalid.summary()
        if summary:
            print(summary)
    try:
        for dataset in inputs:
            dataset.invalid.check_usable(dataset.layout)
    except NebulaError as error:
        print(f"{command}: {error.message}", file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of every subcommand of every family, built once per process.

    Building it costs milliseconds (argparse looks up translations for every option), which
    matters when the fork server runs thousands of jobs: it builds the parser before
    forking, so every job's process inherits it ready.
    """
    global _parser
    if _parser is None:
        _parser = _build_parser()
    return _parser


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROGRAM, description="Operations of Nebula's bundled tools, one subcommand per tool."
    )
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )
    for module_name in COMMAND_FAMILIES:
        importlib.import_module(module_name).register(commands)
    return parser


if __name__ == "__main__":
    sys.exit(main())
