"""`make bench` (= `python -m bench [SECTION ...] [--sizes 10000,100000]`): run the benchmarks, print
the table, write docs/performance.md."""

from __future__ import annotations

import argparse
import platform
from datetime import UTC, datetime

from bench import stats, vault, web
from bench.common import ROOT, markdown

SECTIONS = {"vault": vault.run, "web": web.run, "stats": stats.run}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("sections", nargs="*", help=f"any of {', '.join(SECTIONS)} (default: all)")
    parser.add_argument("--sizes", help="statistics sizes, comma-separated (default 10000,100000,1000000)")
    args = parser.parse_args()
    results, notes = [], []
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    for name in args.sections or SECTIONS:
        kwargs = {}
        if name == "stats" and args.sizes:
            kwargs["sizes"] = tuple(int(n) for n in args.sizes.split(","))
        more, more_notes = SECTIONS[name](**kwargs)
        results += more
        notes += more_notes
    table = markdown(results, notes)
    print(table)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, SQLite"
    (ROOT / "docs" / "performance.md").write_text(
        "# Performance\n\n"
        f"Measured by `make bench` on {when} ({machine}). Each figure stands beside a baseline measured in\n"
        "the same run on the same machine, and the ratio is what to compare between runs: this machine's\n"
        "absolute speed drifts. Times are medians of five runs after a warm-up. Nothing here is asserted\n"
        "in the test suite.\n\n" + table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
