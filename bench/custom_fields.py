"""Custom fields at catalogue scale: what the values cost the document builder, and how long the job after a
definition change (purge removed options, mark the assets for reindexing) takes.

``python -m bench.custom_fields [--count N]`` prints a table and writes ``bench/results/custom_fields.json``.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from sqlalchemy import insert, select

from bench.common import fresh_runtime, print_table, write_results
from indexer.documents import build_documents
from models import Asset, CustomField
from portal.runtime import Runtime
from portal.services.catalog.custom_fields import purge_values


def _options(*values: str) -> dict[str, Any]:
    return {"options": [{"value": v, "labels": {"en": v.title(), "de": v}} for v in values]}


FIELDS: list[dict[str, Any]] = [
    {"key": "season", "type": "select", "facet": True, "searchable": True,
     "options": _options("summer", "winter")},
    {"key": "channel", "type": "multi_select", "facet": True, "options": _options("web", "print", "social")},
    {"key": "shoot", "type": "text", "searchable": True, "options": {}},
    {"key": "launch", "type": "date", "facet": True, "options": {}},
    {"key": "cost_centre", "type": "text", "facet": True, "options": {}, "audience": "staff"},
]  # fmt: skip


def _values(n: int) -> dict[str, Any]:
    return {
        "season": ("summer", "winter")[n % 2],
        "channel": ["web", "print", "social"][: 1 + n % 3],
        "shoot": f"studio shoot {n % 97}",
        "launch": f"2026-{1 + n % 12:02d}-01",
        "cost_centre": f"CC-{n % 10}",
    }


def _seed(rt: Runtime, count: int, with_values: bool) -> list[int]:
    rows = [
        {
            "title": f"Asset {n}",
            "original_filename": f"asset-{n}.jpg",
            "media_kind": "image",
            "status": "approved",
            "visibility": "partner",
            "custom_fields": _values(n) if with_values else {},
        }
        for n in range(count)
    ]
    with rt.db.transaction() as session:
        for start in range(0, count, 5000):
            session.execute(insert(Asset), rows[start : start + 5000])
        if with_values:
            for position, spec in enumerate(FIELDS):
                labels = {"en": spec["key"].title()}
                session.add(CustomField(**{"audience": "all", **spec}, labels=labels, position=position))
    with rt.db.session() as session:
        return list(session.scalars(select(Asset.id)))


def _timed(fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def bench(count: int) -> list[dict[str, Any]]:
    """Document building with and without custom values, and the purge job of a removed option."""
    rows: list[dict[str, Any]] = []
    for with_values in (False, True):
        with fresh_runtime(vision_model="off") as rt:
            ids = _seed(rt, count, with_values)
            with rt.db.session() as session:
                build_documents(session, ids[:500])  # warm up (imports, statement cache)
                seconds, (docs, _) = _timed(lambda s=session, i=ids: build_documents(s, i))
            rows.append(
                {
                    "step": f"build documents, {'5 custom fields' if with_values else 'no custom fields'}",
                    "assets": count,
                    "seconds": round(seconds, 2),
                    "assets_per_s": round(count / seconds),
                }
            )
            if with_values:
                assert "cf.season" in docs[0] and "custom_text" in docs[0]
                with rt.db.transaction() as session:
                    seconds, touched = _timed(lambda s=session: purge_values(s, "season", ["winter"], False))
                start = time.perf_counter()
                rt.queue.join()  # the search sync the purge recorded: the index catches up
                caught_up = time.perf_counter() - start
                rows.append(
                    {
                        "step": "option removed: purge + mark for reindex",
                        "assets": len(touched),
                        "seconds": round(seconds, 2),
                        "assets_per_s": round(len(touched) / seconds),
                    }
                )
                rows.append(
                    {
                        "step": "... then the index caught up (sync, or a rebuild when most)",
                        "assets": len(touched),
                        "seconds": round(caught_up, 2),
                        "assets_per_s": round(len(touched) / caught_up) if caught_up else None,
                    }
                )
    return rows


def main() -> None:
    """Run, print the table, write the JSON result."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=20_000)
    args = parser.parse_args()
    rows = bench(args.count)
    print_table("Custom fields (embedded defaults: SQLite)", rows)
    print(f"results: {write_results('custom_fields', rows)}")


if __name__ == "__main__":
    main()
