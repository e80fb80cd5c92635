"""The ``assetport`` command line."""

from __future__ import annotations

import logging
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy import select
from tqdm import tqdm

from models import Role, User
from portal.jobs.bootstrap import build_runtime
from portal.runtime import Runtime
from portal.settings import load_settings

DEMO_DIR = Path(__file__).parent / "demo" / "catalog"
DEMO_ADMIN = "admin@assetport.local"


@contextmanager
def runtime(*, workers: bool = False) -> Iterator[Runtime]:
    """A runtime for one command, with the schema brought up to date first."""
    rt = build_runtime(load_settings(), start_workers=workers)
    rt.db.upgrade()
    try:
        yield rt
    finally:
        rt.close()


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log debug output.")
def main(verbose: bool) -> None:
    """Assetport: digital asset management with a brand hub."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@main.command()
def init() -> None:
    """Create or upgrade the database schema and the instance folder."""
    with runtime() as rt:
        click.echo(f"database ready: {_redact(rt.settings.resolved_database_url)}")
        click.echo(f"files in: {rt.settings.resolved_storage_dir}")


@main.command("create-user")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]), help="The user's role.")
@click.option("--password", help="Password (prompted, hidden, when left out).")
@click.option("--name", help="Display name.")
def create_user_cmd(email: str, role: str, password: str | None, name: str | None) -> None:
    """Create a user who can log in."""
    from portal.services.accounts.users import create_user

    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with runtime() as rt, _domain_errors(), rt.db.transaction() as session:
        user = create_user(session, email, password, role, name)
        click.echo(f"created {user.email} ({user.role})")


@main.command("create-token")
@click.argument("email")
@click.option("--scope", default="read", show_default=True, type=click.Choice(["read", "write"]))
@click.option("--name", default="", help="A label to recognise the token by.")
def create_token_cmd(email: str, scope: str, name: str) -> None:
    """Create a personal API token for ``Authorization: Bearer`` and print it (only this once)."""
    from portal.services.accounts.tokens import create_token

    with runtime() as rt, _domain_errors():
        user_id = _user_id(rt, email)
        assert user_id is not None
        with rt.db.transaction() as session:
            _token, raw = create_token(session, user_id, scope, name)
    click.echo(raw)


@main.command("import-products")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_products_cmd(file: Path) -> None:
    """Create or update products from a CSV, JSON or XLSX export (upsert by article number)."""
    from portal.services.catalog.products import import_products

    with runtime() as rt, _domain_errors():
        with tqdm(desc="products", unit=" rows", file=sys.stderr, leave=False) as bar:

            def advance(rows: int) -> None:
                bar.update(rows)

            report = import_products(
                rt.db, file, progress=advance, slash_replacement=rt.settings.filename_slash_replacement
            )
        for row in report.rejected:
            click.echo(f"rejected row {row.row} ({row.article_number or '-'}): {row.reason}", err=True)
        click.echo(
            f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
            f"{len(report.rejected)} rejected; {report.linked_assets} assets linked"
        )
        if report.rejected:
            sys.exit(1)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--as", "as_email", help="Record the uploads as this user's (default: none).")
def ingest(paths: tuple[Path, ...], as_email: str | None) -> None:
    """Ingest files and folders (recursively); rejected files are listed with the reason."""
    with runtime(workers=True) as rt:
        user_id = _user_id(rt, as_email)
        failed = _ingest_with_progress(rt, list(paths), user_id)
        if failed:
            sys.exit(1)


@main.command()
def demo() -> None:
    """Load the demo catalogue (products and images) and make sure an admin can log in. Idempotent."""
    from portal.services.catalog.products import import_products
    from portal.services.demo import release_demo

    with runtime(workers=True) as rt:
        admin_id, password = _ensure_admin(rt)
        report = import_products(rt.db, DEMO_DIR / "products.csv")
        # Names in German and French (Akeneo's "name-de_DE" columns and the short "name@fr").
        import_products(rt.db, DEMO_DIR / "products_i18n.csv")
        click.echo(
            f"demo products: {report.created} created, {report.updated} updated, {report.unchanged} unchanged"
        )
        _ingest_with_progress(rt, [DEMO_DIR / "images"], admin_id)
        # Released like a manager would: approved, public, with a brand hub, so every page has content.
        names = [p.name for p in (DEMO_DIR / "images").iterdir()]
        with rt.db.transaction() as session:
            released = release_demo(session, admin_id, names)
        rt.queue.join()
        click.echo(f"demo assets released to the public: {released}; brand hub at /brand")
        click.echo(f"admin login: {DEMO_ADMIN} / {password}")


@main.command()
@click.option("--all", "all_assets", is_flag=True, help="Every asset: those already tagged too.")
@click.option("--retag", is_flag=True, help="Only assets already tagged (after vocabulary changes).")
def tag(all_assets: bool, retag: bool) -> None:
    """Embed and tag images with the vision model (vectors, suggestions, near-duplicates)."""
    from portal.services.vision.model import VisionUnavailable, embedder
    from portal.services.vision.pipeline import embed_versions, select_for_tagging

    with runtime(workers=True) as rt, tqdm(desc="tag", unit=" images", file=sys.stderr) as bar:
        try:
            model = embedder(rt.settings)
        except VisionUnavailable as exc:
            raise click.ClickException(exc.message) from exc
        bar.write(f"model: {model.model_id}")
        ids = select_for_tagging(
            rt, model.model_id, missing=all_assets or not retag, embedded=all_assets or retag
        )
        bar.total = len(ids)

        def progress(done: int) -> None:
            bar.update(done)

        stored = embed_versions(rt, model, ids, retag=True, progress=progress)
        rt.queue.join()
    click.echo(f"tagged {stored} of {len(ids)} assets with {model.model_id}")


@main.command("notify-rights")
def notify_rights_cmd() -> None:
    """Tell managers about rights that expire within 14 days (also runs with the periodic rights job;
    each asset and expiry date is announced once, so running it again is harmless)."""
    from portal.jobs.notify import rights_expiring

    with runtime() as rt:
        made = rights_expiring(rt)
        rt.queue.join()
    click.echo(f"{made} notifications about expiring rights")


@main.command()
def reindex() -> None:
    """Rebuild the search index from the database and swap it in (searches go on meanwhile)."""
    from indexer.sync import rebuild_all
    from portal.jobs.search import apply_synonyms
    from portal.services.search.meaning import text_encoder
    from portal.services.vision.store import index_vector_loader

    with runtime() as rt, tqdm(desc="reindex", unit=" assets", file=sys.stderr) as bar:
        apply_synonyms(rt)  # the new index compiles the synonym list (OpenSearch)

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        count = rebuild_all(
            rt.search(),
            rt.db.session,
            progress=progress,
            vectors=index_vector_loader(rt.settings),
            texts=text_encoder(rt.settings, rt.db.session),
        )
    click.echo(f"indexed {count} assets")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
def serve(host: str, port: int, threads: int) -> None:
    """Serve the portal (jobs run on worker threads in this process unless Redis is configured)."""
    from waitress import serve as waitress_serve

    from portal.app import create_app
    from portal.jobs.outbox import start_periodic_sweep

    app = create_app()
    rt: Runtime = app.extensions["assetport"]
    rt.db.upgrade()
    # Work recorded while nothing ran (a crash, a stopped server) is picked up now, failures later.
    rt.queue.enqueue("outbox.sweep")
    start_periodic_sweep(rt)
    from portal.jobs.rights import start_periodic_expiry

    rt.queue.enqueue("rights.expire")
    start_periodic_expiry(rt)
    _index_if_empty(rt)
    # A switched vision model (or vectors still missing) is noticed here and re-embedded in the background.
    rt.queue.enqueue("vision.check", lane="vision")
    click.echo(
        f"Assetport at http://{host}:{port}/  (database: {_redact(rt.settings.resolved_database_url)})"
    )
    waitress_serve(app, host=host, port=port, threads=threads, ident="assetport")


@main.command()
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    """Run jobs from Redis (needs ASSETPORT_REDIS_URL)."""
    from portal.jobs.worker import run_worker

    settings = load_settings()
    if not settings.redis_url:
        raise click.ClickException(
            "set ASSETPORT_REDIS_URL: without Redis, jobs run inside `assetport serve`"
        )
    with runtime() as rt:
        run_worker(rt, burst=burst)


def _index_if_empty(rt: Runtime) -> None:
    """A missing or empty search index (new instance, deleted folder) is rebuilt in the background."""
    from sqlalchemy import func

    from models import Asset

    with rt.db.session() as session:
        assets = session.scalar(select(func.count(Asset.id))) or 0
    if assets and rt.search().count() == 0:
        click.echo(f"search index is empty: indexing {assets} assets in the background")
        rt.queue.enqueue("search.rebuild")


def _ingest_with_progress(rt: Runtime, paths: list[Path], user_id: int | None) -> int:
    from portal.services.catalog.ingest import collect_files, ingest_paths

    files = collect_files(paths)
    counts = {"new": 0, "duplicate": 0, "rejected": 0}
    with tqdm(total=len(files), desc="ingest", unit=" files", file=sys.stderr) as bar:

        def on_result(result: object) -> None:
            from portal.services.catalog.ingest import IngestResult

            assert isinstance(result, IngestResult)
            if not result.ok:
                counts["rejected"] += 1
                tqdm.write(f"rejected {result.filename}: {result.error}", file=sys.stderr)
            else:
                counts["new" if result.created else "duplicate"] += 1
            bar.update(1)

        ingest_paths(rt, files, user_id=user_id, on_result=on_result)
    click.echo("building previews ...", err=True)
    rt.queue.join()
    click.echo(
        f"{counts['new']} new, {counts['duplicate']} already stored, {counts['rejected']} rejected "
        f"({len(files)} files)"
    )
    return counts["rejected"]


def _ensure_admin(rt: Runtime) -> tuple[int, str]:
    """The demo admin, created with a random password kept in the instance folder on first run."""
    from portal.services.accounts.users import create_user

    secret = rt.settings.instance_dir / "admin-password.txt"
    with rt.db.transaction() as session:
        user = session.scalars(select(User).where(User.email == DEMO_ADMIN)).first()
        if user is not None and secret.exists():
            return user.id, secret.read_text().strip()
        password = secrets.token_urlsafe(12)
        if user is None:
            user = create_user(session, DEMO_ADMIN, password, Role.ADMIN.value, "Demo admin")
        else:
            from portal.services.accounts.users import set_password

            set_password(user, password)
        secret.write_text(password + "\n")
        secret.chmod(0o600)
        return user.id, password


def _user_id(rt: Runtime, email: str | None) -> int | None:
    if not email:
        return None
    with rt.db.session() as session:
        uid = session.scalar(select(User.id).where(User.email == email.strip().lower()))
    if uid is None:
        raise click.ClickException(f"no user {email}")
    return uid


@contextmanager
def _domain_errors() -> Iterator[None]:
    """Show domain errors as one clear line and a non-zero exit, not a traceback."""
    from portal.errors import PortalError

    try:
        yield
    except PortalError as exc:
        raise click.ClickException(exc.message) from exc


def _redact(url: str) -> str:
    """Hide a password in a database URL before printing it."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


# Commands kept in their own modules, registered here.
from portal.cli_package import package_cmd  # noqa: E402

main.add_command(package_cmd)


if __name__ == "__main__":
    main()
