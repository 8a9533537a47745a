"""Redis and RQ access. The web never waits on Redis: enqueueing is best effort, because the
outbox in the database and the worker's periodic tick pick up whatever was not enqueued."""
from __future__ import annotations

import logging

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue

log = logging.getLogger(__name__)
QUEUE_NAME = "complaints"


def redis_connection() -> Redis:
    app = current_app._get_current_object()
    conn = app.extensions.get("redis")
    if conn is None:
        timeout = app.config["REDIS_CONNECT_TIMEOUT"]
        conn = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=timeout, socket_timeout=5)
        app.extensions["redis"] = conn
    return conn


def queue() -> Queue:
    return Queue(QUEUE_NAME, connection=redis_connection())


def enqueue_best_effort(func_path: str, *args, **kwargs) -> bool:
    try:
        queue().enqueue(func_path, *args, **kwargs)
        return True
    except (RedisError, OSError) as exc:
        log.warning("could not enqueue %s (%s); the periodic tick will do it", func_path, exc)
        return False
