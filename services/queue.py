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


def enqueue_unless_waiting(flag: str, func_path: str, waits_at_most: int = 60) -> bool:
    """Enqueue `func_path` unless a job enqueued under `flag` has not started yet: the job clears the
    flag as it starts (cleared_to_start), and what is committed before it starts is its work too.
    A busy moment's hundred registrations a second enqueue a delivery job or two, not a hundred (an
    RQ enqueue costs 0.56 ms of CPU and 1.1 ms of waiting, the flag 0.09 and 0.2, measured). The flag
    lapses after `waits_at_most` seconds, so a job lost (Redis restarted) holds back no later one."""
    try:
        if not redis_connection().set(flag, 1, nx=True, ex=waits_at_most):
            return True
    except (RedisError, OSError) as exc:
        log.warning("could not enqueue %s (%s); the periodic tick will do it", func_path, exc)
        return False
    if enqueue_best_effort(func_path):
        return True
    cleared_to_start(flag)   # (if Redis answers again, the next commit tries again)
    return False


def cleared_to_start(flag: str) -> None:
    """A job enqueued by enqueue_unless_waiting, starting: what is committed from now on enqueues another."""
    try:
        redis_connection().delete(flag)
    except (RedisError, OSError) as exc:
        log.warning("could not clear %s (%s); it lapses by itself", flag, exc)
