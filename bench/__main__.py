"""`make bench` (= `python -m bench [SECTION ...] [--sizes 10000,100000]`): run the benchmarks, print
the table, write docs/performance.md."""

from __future__ import annotations

import argparse
import platform
import re
from datetime import UTC, datetime

from bench import exchange, pages, stats, vault, web
from bench.common import ROOT, Result, markdown

SECTIONS = {"vault": vault.run, "web": web.run, "pages": pages.run, "stats": stats.run,
            "exchange": exchange.run}
# which section of the command writes the rows of each table section
ROW_SECTIONS = {"vault": "vault", "accounts": "vault", "start-up": "vault", "web": "web", "pages": "pages",
                "statistics": "stats", "exchange": "exchange"}
OUTPUT = ROOT / "docs" / "performance.md"


def _earlier() -> tuple[dict[str, tuple[list[Result], list[str]]], dict[str, str]]:
    """The rows and notes of each section in the present docs/performance.md, and when each was
    measured, so a run of some sections keeps the figures of the others."""
    found: dict[str, tuple[list[Result], list[str]]] = {}
    when: dict[str, str] = {}
    if not OUTPUT.exists():
        return found, when
    text = OUTPUT.read_text(encoding="utf-8")
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 7 and cells[0] in ROW_SECTIONS:
            found.setdefault(ROW_SECTIONS[cells[0]], ([], []))[0].append(Result(*cells))
    sections = re.findall(r"^### (\w+), measured (.*?)\n(.*?)(?=^### |\Z)", text, re.M | re.S)
    for name, measured, body in sections:
        found.setdefault(name, ([], []))[1].extend(
            line[2:] for line in body.splitlines() if line.startswith("- "))
        when[name] = measured
    return found, when


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("sections", nargs="*", help=f"any of {', '.join(SECTIONS)} (default: all)")
    parser.add_argument("--sizes", help="statistics sizes, comma-separated (default 10000,100000,1000000)")
    args = parser.parse_args()
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    by_section, measured = _earlier()
    fresh, now = {}, datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    for name in args.sections or SECTIONS:
        kwargs = {}
        if name == "stats" and args.sizes:
            kwargs["sizes"] = tuple(int(n) for n in args.sizes.split(","))
        by_section[name] = fresh[name] = SECTIONS[name](**kwargs)
        measured[name] = now
    print(markdown([r for rows, _n in fresh.values() for r in rows],
                   [n for _r, notes in fresh.values() for n in notes]))
    order = [name for name in SECTIONS if name in by_section]
    table = markdown([r for name in order for r in by_section[name][0]], [])
    table += "".join(f"\n### {name}, measured {measured.get(name, 'earlier')}\n\n"
                     + "".join(f"- {n}\n" for n in by_section[name][1]) for name in order)
    machine = f"{platform.processor() or platform.machine()}, Python {platform.python_version()}"
    OUTPUT.write_text(
        "# Performance\n\n"
        f"Measured by `make bench` ({machine}). Each figure stands beside a baseline measured in\n"
        "the same run on the same machine, and the ratio is what to compare between runs: this machine's\n"
        "absolute speed drifts. Times are medians of five runs after a warm-up. Nothing here is asserted\n"
        "in the test suite. A run of some sections (`python -m bench web pages`) keeps the other sections'\n"
        "figures from the previous run: the notes under the table say when each section was measured.\n\n"
        + table, encoding="utf-8")


if __name__ == "__main__":
    main()
