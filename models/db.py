"""Engine and session factory, plus schema migrations to head."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    """WAL lets the web readers and the job worker run side by side; FKs are off by default in SQLite."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


_WRITE_LOCK_KEY = "assetport_sqlite_write_lock"


def _serialise_sqlite_writers(factory: sessionmaker[Session]) -> None:
    """Let this process's writers take turns before SQLite's own lock.

    SQLite allows one writer; a second one waits in SQLite's busy handler, which sleeps in steps of up to
    100 ms. Threads of one process (web requests, job workers) instead queue on a lock from their first
    flush until their transaction ends, and get the database the moment it is free.
    """
    lock = threading.RLock()

    def before_flush(session: Session, _ctx: Any, _instances: Any) -> None:
        if not session.info.get(_WRITE_LOCK_KEY):
            lock.acquire()
            session.info[_WRITE_LOCK_KEY] = True

    def release(session: Session) -> None:
        if session.info.pop(_WRITE_LOCK_KEY, False):
            lock.release()

    def after_end(session: Session, transaction: SessionTransaction) -> None:
        # Only the outermost transaction: a rolled-back savepoint leaves the write open.
        if transaction.parent is None:
            release(session)

    event.listen(factory, "before_flush", before_flush)
    # Released at commit already (before after-commit hooks hand work to other threads), and at the end of
    # the root transaction whatever way it ends (rollback, close).
    event.listen(factory, "after_commit", release)
    event.listen(factory, "after_transaction_end", after_end)


class Database:
    """Owns the engine and hands out sessions; one per process."""

    def __init__(self, url: str, echo: bool = False) -> None:
        self.url = url
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
            self._ensure_sqlite_dir(url)
        else:
            kwargs["pool_pre_ping"] = True
            # psycopg would prepare repeated statements server-side; PostgreSQL then settles on one generic
            # plan, which for batched IN (...) lookups is a sequential scan. Custom plans every time.
            kwargs["connect_args"] = {"prepare_threshold": None}
        self.engine: Engine = create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        if url.startswith("sqlite"):
            _serialise_sqlite_writers(self.sessionmaker)

    @staticmethod
    def _ensure_sqlite_dir(url: str) -> None:
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)

    def session(self) -> Session:
        """A new session; the caller closes it."""
        return self.sessionmaker()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        with self.sessionmaker() as session, session.begin():
            yield session

    def upgrade(self) -> None:
        """Bring the schema to the newest Alembic revisions (every branch head: features add their own
        branch off a common base, and a later revision merges them)."""
        from alembic import command

        command.upgrade(alembic_config(self.url), "heads")

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def alembic_config(url: str) -> Any:
    """An Alembic configuration pointing at the packaged migrations and the given database."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg
