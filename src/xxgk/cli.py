"""The ``xxgk`` command line: argument handling only; the work is done by the library modules."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

# Each entry is a module in xxgk.commands exposing register(subparsers). Add new sub-commands here.
COMMANDS: tuple[str, ...] = (
    "parse",
    "ingest",
    "synth",
    "build",
    "publish",
    "run",
    "config",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xxgk", description="政府信息公开工作年度报告 → agency-year data")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f"xxgk.commands.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a last line of defence: a clear message, never a traceback
        logging.getLogger("xxgk").debug("unhandled error", exc_info=True)
        print(f"xxgk {args.command}: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
