"""Shared helpers: timing, an application on a benchmark database, the results table."""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("NRM_BENCH_DIR", ROOT / ".bench"))


@dataclass
class Result:
    section: str
    measure: str
    value: str
    baseline: str
    ratio: str
    target: str
    verdict: str


def timed(fn, repeat: int = 5) -> float:
    """Median wall time of ``fn`` in seconds over ``repeat`` runs (after one warm-up run)."""
    fn()
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def app_on(path: Path, **extra):
    """The real application on a benchmark SQLite database with throwaway keys."""
    import json

    from nrm import create_app
    from tests.conftest import FakeClock, base_config, fresh_keys

    path.parent.mkdir(parents=True, exist_ok=True)
    keys_file = path.with_suffix(".keys.json")     # the database is kept between runs: so are its keys
    if not keys_file.exists():
        keys_file.write_text(json.dumps(fresh_keys()))
        keys_file.chmod(0o600)
    config = base_config(path.parent, CLOCK=FakeClock(), DATABASE_URL=f"sqlite:///{path}",
                         **json.loads(keys_file.read_text()), **extra)
    return create_app(config)


def markdown(results: list[Result], notes: list[str]) -> str:
    lines = ["| section | measure | value | baseline | ratio | target | met |",
             "|---|---|---|---|---|---|---|"]
    lines += [f"| {r.section} | {r.measure} | {r.value} | {r.baseline} | {r.ratio} | {r.target} "
              f"| {r.verdict} |" for r in results]
    return "\n".join(lines + [""] + [f"- {n}" for n in notes])
