"""``xxgk config [--json]``: the effective configuration (flags aside), where each value comes from, secrets masked.

Reads ``$XXGK_CONFIG`` or ``./xxgk.toml`` and the environment through :mod:`xxgk.settings`; never prints a
password, signing secret or webhook token.
"""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "config", help="show the effective configuration (xxgk.toml + environment), secrets masked",
        description="Every setting with its value, its origin (env, file, default), the environment variable and "
                    "the [section] key of xxgk.toml. Precedence: flag > environment > file > default.")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.add_argument("--all", action="store_true", help="also list settings that are not set")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from xxgk.settings import ConfigError, describe, load_settings

    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"xxgk config: {exc}", file=sys.stderr)
        return 1
    rows = [r for r in describe(settings) if args.all or r["value"] not in (None, "")]
    if args.json:
        sys.stdout.write(json.dumps({"config_file": str(settings.config_file) if settings.config_file else None,
                                     "settings": rows}, ensure_ascii=False) + "\n")
        return 0
    print(f"config file: {settings.config_file or '(none: no $XXGK_CONFIG, no ./xxgk.toml)'}")
    width = max(len(f"[{r['section']}] {r['key']}") for r in rows) if rows else 0
    for r in rows:
        name = f"[{r['section']}] {r['key']}"
        value = "(not set)" if r["value"] in (None, "") else r["value"]
        print(f"{name:<{width}}  {value}   ({r['origin']}; {r['env']})")
    return 0
