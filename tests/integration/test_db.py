"""The database layer: SQLite writers of one process take turns; every way a transaction ends frees it."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from models import AuditEvent
from models.db import Database


def test_threads_write_sqlite_without_lock_errors(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(40):
                with db.transaction() as session:
                    session.add(AuditEvent(action=f"t{n}", target=str(i)))
        except BaseException as exc:  # noqa: BLE001  (collected and asserted below)
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    with db.session() as session:
        assert session.scalar(select(func.count(AuditEvent.id))) == 160
    db.dispose()


def test_write_lock_is_freed_by_rollback_and_close(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    session = db.session()
    session.add(AuditEvent(action="flushed"))
    session.flush()  # takes the process's write turn
    session.close()  # ends the transaction without commit
    done = threading.Event()

    def other() -> None:
        with db.transaction() as s:
            s.add(AuditEvent(action="other"))
        done.set()

    started = time.monotonic()
    threading.Thread(target=other).start()
    assert done.wait(5), "the write turn was not given back on close"
    assert time.monotonic() - started < 2
    try:
        with db.transaction() as s:
            s.add(AuditEvent(action="x"))
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    done.clear()
    threading.Thread(target=other).start()  # another thread: would wait if the rollback kept the turn
    assert done.wait(5), "the write turn was not given back on rollback"
    db.dispose()
