"""Shared benchmark plumbing: isolated instances, timing, tables, JSON results."""

from __future__ import annotations

import json
import os
import platform
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from portal.jobs.bootstrap import build_runtime
from portal.runtime import Runtime
from portal.settings import Settings

BENCH_DIR = Path(__file__).parent
RESULTS = BENCH_DIR / "results"
CACHE = BENCH_DIR / ".cache"


@contextmanager
def fresh_runtime(**overrides: Any) -> Iterator[Runtime]:
    """A runtime on a brand-new embedded instance (SQLite, blob store, in-process worker threads)."""
    with tempfile.TemporaryDirectory(prefix="assetport-bench-") as tmp:
        settings = Settings(instance_dir=Path(tmp) / "instance", secret_key="bench", **overrides)
        rt = build_runtime(settings)
        rt.db.upgrade()
        try:
            yield rt
        finally:
            rt.close()


def print_table(title: str, rows: list[dict[str, Any]]) -> None:
    """Print rows as an aligned text table."""
    if not rows:
        return
    cols = list(rows[0])
    cells = [[_fmt(r.get(c)) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    print(f"\n{title}")
    print("  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))


def write_results(name: str, rows: list[dict[str, Any]], **extra: Any) -> Path:
    """Write ``bench/results/<name>.json`` with the machine description."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {
        "benchmark": name,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "rows": rows,
        **extra,
    }
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)
