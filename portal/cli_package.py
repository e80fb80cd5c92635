"""``assetport package --articles FILE --preset P``: a package built in the foreground with a progress bar."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click
from tqdm import tqdm

from models import Package, Role
from portal.services.distribution.packages import DEFAULT_TEMPLATE


@click.command("package")
@click.option(
    "--articles",
    "articles_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Article numbers: a text file (one per line), CSV or XLSX.",
)
@click.option("--column", help="CSV/XLSX column with the article numbers (header name or 1-based number).")
@click.option("--preset", "presets", multiple=True, default=["web"], show_default=True, help="Repeatable.")
@click.option("--template", default=DEFAULT_TEMPLATE, show_default=True, help="File names in the ZIP.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Where to write the ZIP.")
def package_cmd(
    articles_file: Path, column: str | None, presets: tuple[str, ...], template: str, out: Path | None
) -> None:
    """Build a ZIP of the approved files for a list of article numbers, with a report per line."""
    from portal.cli import _domain_errors, runtime
    from portal.services.distribution import packages
    from portal.services.distribution import product_lists as package_lists
    from portal.services.distribution import signed_links as package_links
    from portal.services.governance.policy import Viewer

    data = articles_file.read_bytes()
    with runtime() as rt, _domain_errors():
        if articles_file.suffix.lower() in (".csv", ".xlsx") or data[:4] == b"PK\x03\x04":
            lines = package_lists.column_values(articles_file.name, data, column)
        else:
            lines = package_lists.parse_text(data.decode("utf-8-sig", errors="replace"))
        with rt.db.transaction() as session:
            package_id = packages.create_package(
                session, Viewer(None, Role.ADMIN), lines=lines, presets=list(presets), template=template,
                enqueue=False,
            ).id  # fmt: skip
        with tqdm(desc="package", unit=" files", file=sys.stderr) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.n = done
                bar.refresh()

            packages.build(rt, package_id, progress)
        with rt.db.session() as session:
            package = session.get(Package, package_id)
            assert package is not None
            for line in package.report:
                if line.status != "found":
                    click.echo(
                        f"line {line.line_no} {line.input!r}: {line.status} ({line.message})", err=True
                    )
            counts = package_links.package_status(session, package)["report_counts"]
            if package.status != "done" or not package.file_path:
                raise click.ClickException(package.error or "the package could not be built")
            target = out or Path.cwd() / f"package-{package.id}.zip"
            shutil.copyfile(package.file_path, target)
            summary = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in sorted(counts.items()))
            click.echo(f"{target}: {package.files_done} files, {package.size_bytes} bytes; lines: {summary}")
