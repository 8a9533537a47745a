"""Redis and RQ access. The web never waits on Redis: enqueueing is best effort, because the
outbox in the database and the worker's periodic tick pick up whatever was not enqueued."""
from __future__ import annotations

import logging

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from redis.sentinel import Sentinel
from rq import Queue

log = logging.getLogger(__name__)
QUEUE_NAME = "complaints"


def connect(settings: dict, connect_timeout: float | None = None) -> Redis:
    """A Redis client from the app's settings: REDIS_URL, or the master that the Sentinels in
    REDIS_SENTINELS name (REDIS_URL then gives only the database number and password), which
    follows a fail-over by itself."""
    options = {"socket_connect_timeout": connect_timeout, "socket_timeout": 5}
    sentinels = [address.strip().rsplit(":", 1) for address in (settings.get("REDIS_SENTINELS") or "").split(",")
                 if address.strip()]
    if not sentinels:
        return Redis.from_url(settings["REDIS_URL"], **options)
    url = Redis.from_url(settings["REDIS_URL"]).connection_pool.connection_kwargs
    sentinel = Sentinel([(host, int(port)) for host, port in sentinels], sentinel_kwargs=options, **options)
    return sentinel.master_for(settings["REDIS_SENTINEL_MASTER"], db=url.get("db", 0), password=url.get("password"))


def redis_settings(config) -> dict:
    """The part of the configuration `connect` needs, picklable for the worker's cron process."""
    return {key: config.get(key) for key in ("REDIS_URL", "REDIS_SENTINELS", "REDIS_SENTINEL_MASTER")}


def redis_connection() -> Redis:
    app = current_app._get_current_object()
    conn = app.extensions.get("redis")
    if conn is None:
        conn = connect(redis_settings(app.config), app.config["REDIS_CONNECT_TIMEOUT"])
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
