"""Run every benchmark: ``python -m bench [--quick]``."""

from __future__ import annotations

import argparse

from bench import ingest, search
from bench.common import print_table, write_results


def main() -> None:
    """Run the benchmarks, print their tables and write their JSON results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller corpora, for a smoke run")
    parser.add_argument("--million", action="store_true", help="also run search at 1,000,000 assets")
    parser.add_argument(
        "--only",
        choices=["ingest", "ingest-vision", "search", "relevance", "vision", "distribution", "media", "bulk"],
        help="run one benchmark (ingest-vision: only the 12 MP JPEGs with vision off and on)",
    )
    parser.add_argument("--count", type=int, help="12 MP JPEGs per ingest run (default 200, quick 20)")
    args = parser.parse_args()

    if args.only in (None, "ingest", "ingest-vision"):
        count = args.count or (20 if args.quick else 200)
        outcome = ingest.bench(count) if args.only != "ingest-vision" else ingest.vision_pair(count)
        print_table(
            "Ingest throughput (whole pipeline incl. thumbnails and previews, embedded defaults)",
            outcome["rows"],
        )
        print("  vision on vs off: " + ", ".join(f"{k} {v}" for k, v in outcome["ratio"].items()))
        print_table("Ingest stages, vision off (busy = summed over threads)", outcome["stages_off"])
        print_table(
            "Ingest stages, vision on (forward: thread CPU is the calling thread's share only; "
            "ONNX Runtime's pool works beside it)",
            outcome["stages_on"],
        )
        extra = {k: outcome[k] for k in ("ratio", "stages_off", "stages_on")}
        print(f"results: {write_results('ingest', outcome['rows'], **extra)}")
    if args.only in (None, "search"):
        sizes = [2_000] if args.quick else [100_000, *([1_000_000] if args.million else [])]
        rows = [row for n in sizes for row in search.bench(n, runs=50 if args.quick else 200)]
        print_table("Search on the embedded engine (tantivy + numpy)", rows)
        print(f"results: {write_results('search', rows)}")
    if args.only in (None, "relevance"):
        from bench import relevance

        outcome = relevance.run()
        print_table(
            "Search relevance, words only (judged set, embedded engine, en+de)", outcome["words_only_rows"]
        )
        print("  misses (not in the top 5): " + (", ".join(outcome["words_only_misses"]) or "none"))
        print_table(
            "Search relevance with meaning search (words + MiniLM text vectors, RRF, floor "
            f"{outcome['floor']:g}; the portal's default)",
            outcome["rows"],
        )
        print("  misses (not in the top 5): " + (", ".join(outcome["misses"]) or "none"))
        agreement = outcome["opensearch_top5"]
        if agreement is not None:
            print(
                f"  OpenSearch compiler on osmem-server: same top 5 for {agreement['same_top5']}"
                f" of {agreement['queries']} queries"
            )
            print_table(
                "The same judged set through the OpenSearch compiler (osmem-server, en)",
                agreement["opensearch_rows"],
            )
        path = write_results(
            "relevance",
            outcome["rows"],
            misses=outcome["misses"],
            words_only=outcome["words_only_rows"],
            floor=outcome["floor"],
            opensearch=agreement,
        )
        print(f"results: {path}")
    if args.only in (None, "vision"):
        from bench import vision_jobs, vision_models

        models = vision_models.run(quick=args.quick)
        print_table("Vision models: raw embedding throughput (images/s)", models["rows"])
        print("\n".join(f"  note: {n}" for n in models["notes"]))
        print(f"results: {write_results('vision_models', models['rows'], notes=models['notes'])}")

        from bench import vision_vectors

        vectors = vision_vectors.run(quick=args.quick)
        print_table("Find similar on compact vectors (embedded engine kNN core)", vectors)
        print(f"results: {write_results('vision_vectors', vectors)}")

        rows = vision_jobs.run(quick=args.quick)["rows"]
        print_table("Vision jobs: tagging throughput and find-similar latency", rows)
        print(f"results: {write_results('vision_jobs', rows)}")
    if args.only in (None, "distribution"):
        from bench import distribution

        distribution.run(quick=args.quick)
    if args.only in (None, "media"):
        from bench import media

        media.run(quick=args.quick)
    if args.only in (None, "bulk"):
        from bench import bulk

        bulk.run(quick=args.quick)


if __name__ == "__main__":
    main()
