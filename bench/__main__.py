"""Run every benchmark: ``python -m bench [--quick]``."""

from __future__ import annotations

import argparse

from bench import ingest
from bench.common import print_table, write_results


def main() -> None:
    """Run the benchmarks, print their tables and write their JSON results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller corpora, for a smoke run")
    args = parser.parse_args()

    rows = ingest.bench(count=20 if args.quick else 200)
    print_table("Ingest throughput (whole pipeline incl. thumbnails and previews, embedded defaults)", rows)
    path = write_results("ingest", rows)
    print(f"\nresults: {path}")


if __name__ == "__main__":
    main()
