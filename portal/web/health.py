"""``/healthz``: is the database reachable (and Redis, when configured)?"""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from portal.web.context import runtime

health_bp = Blueprint("health", __name__)


@health_bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """200 with component states when healthy, 503 when a component is down."""
    rt = runtime()
    checks: dict[str, str] = {}
    try:
        with rt.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001  (any failure means: not healthy; reported, not raised)
        checks["database"] = f"error: {type(exc).__name__}"
    if rt.settings.redis_url:
        from portal.jobs.queue import RQQueue

        try:
            if isinstance(rt.queue, RQQueue):
                rt.queue.connection.ping()
            checks["redis"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["redis"] = f"error: {type(exc).__name__}"
    healthy = all(v == "ok" for v in checks.values())
    return jsonify({"status": "ok" if healthy else "degraded", "checks": checks}), 200 if healthy else 503
