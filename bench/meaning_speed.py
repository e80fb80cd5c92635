"""Meaning search speed, part of the search bench: the MiniLM text encoder on ONNX Runtime against torch
(same run, calls alternating), and a text query with meaning search on at scale, with uncached and cached
query embeddings beside words only.

The bench corpus gets text vectors of its product names (``name_vectors``): encoding every synthetic
document's full text would take minutes of a shared machine for what is, to the kNN, the same work.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from indexer.meaning import document_text
from portal.runtime import Runtime
from portal.services.governance.policy import Viewer
from portal.services.search import meaning
from portal.services.search.queries import SearchParams


def search_page(rt: Runtime, viewer: Viewer, params: SearchParams) -> None:
    """``bench.search.search_page``: the search and its page's documents read."""
    from bench.search import search_page as run

    run(rt, viewer, params)


def name_vectors(names: Sequence[str]) -> dict[str, list[float]]:
    """MiniLM vectors of distinct texts (ONNX Runtime), for the corpus's ``text_vector`` field."""
    distinct = list(dict.fromkeys(names))
    return dict(zip(distinct, meaning.encode(distinct), strict=True))


def p95(samples: Sequence[float]) -> float:
    """95th percentile in milliseconds."""
    ordered = sorted(samples)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)] * 1000


Times = dict[str, tuple[list[float], list[float]]]


def alternating(calls: dict[str, Callable[[int], Any]], runs: int) -> Times:
    """(wall, CPU of the whole process) seconds of ``runs`` calls of each, interleaved call by call so that
    a loaded machine slows them alike; ``calls[k](i)`` gets the run number. One warm-up call each."""
    for fn in calls.values():
        fn(-1)
    out: dict[str, tuple[list[float], list[float]]] = {key: ([], []) for key in calls}
    for i in range(runs):
        for key, fn in calls.items():
            started, cpu = time.perf_counter(), time.process_time()
            fn(i)
            out[key][1].append(time.process_time() - cpu)
            out[key][0].append(time.perf_counter() - started)
    return out


def _row(label: str, value: float | str, unit: str = "ms p95", target: str = "-") -> dict[str, Any]:
    return {"measure": label, "value": value, "unit": unit, "target": target}


def _figures(label: str, times: tuple[list[float], list[float]], target: str = "-") -> list[dict[str, Any]]:
    wall, cpu = times
    return [
        _row(label, round(p95(wall), 1), target=target),
        _row("  same, median", round(statistics.median(wall) * 1000, 1), "ms"),
        _row("  same, CPU time (process)", round(p95(cpu), 1)),
    ]


def encoder_rows(settings: Any, docs: Sequence[dict[str, Any]], runs: int) -> list[dict[str, Any]]:
    """Raw encode latency, torch vs ONNX Runtime: one short query (batch 1) and 128 document texts."""
    from tagging import ort, textenc

    onnx = textenc.encoder(settings.vision_threads, "onnx").load()
    torch_model = textenc.encoder(settings.vision_threads, "torch").load()
    threads = ort.thread_count(settings.vision_threads)
    words = ["red", "oak", "wool", "glass", "slim", "kids", "travel", "soft"]
    nouns = ["hoodie", "juice", "paint bucket", "sneaker", "lamp", "sweatshirt", "beverage", "mug"]
    queries = [f"{words[i % 8]} {nouns[(i // 8) % 8]} {i}" for i in range(runs + 1)]
    texts = [document_text(doc) for doc in docs[:128]]
    one = alternating(
        {
            "onnx": lambda i: onnx.encode([queries[i]]),
            "torch": lambda i: torch_model.encode([queries[i]]),
        },
        runs,
    )
    batch_runs = max(3, runs // 40)
    many = alternating(
        {"onnx": lambda i: onnx.encode(texts), "torch": lambda i: torch_model.encode(texts)}, batch_runs
    )
    rows: list[dict[str, Any]] = []
    cases = (("one short query (batch 1)", one, runs), ("128 document texts", many, batch_runs))
    for label, times, n in cases:
        head = f"MiniLM encode, {label}, {threads} threads, {n} calls each"
        rows += _figures(f"{head}: ONNX Runtime ({onnx.inference_runtime})", times["onnx"])
        rows += _figures("  torch (sentence-transformers), same run", times["torch"])
        rows.append(
            _row(
                "  speed-up (torch / ONNX): p95, median, CPU p95",
                ", ".join(
                    f"{a / b:.2f}x"
                    for a, b in (
                        (p95(times["torch"][0]), p95(times["onnx"][0])),
                        (statistics.median(times["torch"][0]), statistics.median(times["onnx"][0])),
                        (p95(times["torch"][1]), p95(times["onnx"][1])),
                    )
                ),
                "",
            )
        )
    return rows


def query_rows(
    rt: Runtime, viewer: Viewer, queries: Sequence[SearchParams], runs: int, label: str
) -> list[dict[str, Any]]:
    """A text query with meaning search on (uncached query embedding, then cached) and with it off,
    through the service layer, interleaved; and the previous path (``meaning.BESIDE`` off: the meaning
    searches wait for the word search, the embedding alone is computed beside it) in the same run."""
    settings = rt.settings
    mode = settings.search_meaning
    texts = [f"{q.text} {('soft', 'bright', 'travel', 'kids')[i % 4]} {i}" for i, q in enumerate(queries)]
    uncached = [
        SearchParams(text=t, filters=q.filters, size=q.size) for t, q in zip(texts, queries, strict=True)
    ]

    def search(params: SearchParams, on: bool, fresh: bool, beside: bool = True) -> None:
        settings.search_meaning = "on" if on else "off"
        meaning.BESIDE = beside
        if fresh:
            # Only this text's embedding is forgotten: clearing them all made the "cached" calls after it
            # compute theirs too (the figures before this fix measured no cached path).
            meaning._queries.discard(("minilm", params.text.casefold()))
        search_page(rt, viewer, params)

    try:
        times = alternating(
            {
                "uncached": lambda i: search(uncached[i % len(uncached)], True, True),
                "cached": lambda i: search(queries[i % len(queries)], True, False),
                "words": lambda i: search(queries[i % len(queries)], False, False),
                "words_uncached": lambda i: search(uncached[i % len(uncached)], False, False),
                "after": lambda i: search(queries[i % len(queries)], True, False, beside=False),
                "after_uncached": lambda i: search(uncached[i % len(uncached)], True, True, beside=False),
            },
            runs,
        )
    finally:
        settings.search_meaning = mode
        meaning.BESIDE = True
    head = f"text query + 2 filters + facets, meaning search on, {label}"
    words_p95, words_med = p95(times["words"][0]), statistics.median(times["words"][0]) * 1000
    unc_p95, unc_med = p95(times["words_uncached"][0]), statistics.median(times["words_uncached"][0]) * 1000
    return [
        *_figures(f"{head}: query embedding not cached", times["uncached"], "<= 20 ms"),
        *_figures("  query embedding cached (LRU)", times["cached"], "<= 20 ms"),
        *_figures("  meaning search off (words only), same run", times["words"]),
        # The uncached texts are longer queries ("hoodie soft 17"): their word search alone costs more, so
        # the cost of meaning is read against words only on the same texts.
        *_figures("  meaning search off, the not-cached rows' texts, same run", times["words_uncached"]),
        *_figures(
            "  previous path (meaning searches after the word search), cached, same run", times["after"]
        ),
        *_figures("  previous path, query embedding not cached, same run", times["after_uncached"]),
        _row(
            "  cost of meaning (uncached, cached - words on the same texts), p95 / median",
            f"{p95(times['uncached'][0]) - unc_p95:.1f}, {p95(times['cached'][0]) - words_p95:.1f} / "
            f"{statistics.median(times['uncached'][0]) * 1000 - unc_med:.1f}, "
            f"{statistics.median(times['cached'][0]) * 1000 - words_med:.1f}",
            "ms",
        ),
    ]
