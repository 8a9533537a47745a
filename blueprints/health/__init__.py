"""GET /healthz for load balancers and monitors: no login, no names of exceptions in the answer."""
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from extensions import db
from services.queue import redis_connection

bp = Blueprint("health", __name__)


def _check(name: str, probe) -> str:
    try:
        probe()
        return "ok"
    except Exception:   # whatever the driver raises, the service is down; the log says why
        current_app.logger.warning("healthz: %s is down", name, exc_info=True)
        return "down"


@bp.get("/healthz")
def healthz():
    status = {"db": _check("db", lambda: db.session.execute(text("SELECT 1"))),
              "redis": _check("redis", lambda: redis_connection().ping())}
    healthy = all(value == "ok" for value in status.values())
    return jsonify(status), 200 if healthy else 503
