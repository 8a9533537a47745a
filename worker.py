"""One RQ worker plus RQ's cron scheduler, which enqueues the deadline check every minute.

Run as many as you like: the check is idempotent and each notice is claimed in the database."""
from __future__ import annotations

import logging
import multiprocessing
import os

from redis import Redis
from rq import Worker
from rq.cron import CronScheduler

from app import create_app
from services import jobs
from services.queue import QUEUE_NAME, connect, redis_settings

TICK_SECONDS = int(os.environ.get("WORKER_TICK_SECONDS", "60"))


def build_cron(connection: Redis) -> CronScheduler:
    cron = CronScheduler(connection=connection)
    cron.register(jobs.tick, queue_name=QUEUE_NAME, interval=TICK_SECONDS, name="deadline-tick")
    return cron


def run_cron(redis_settings: dict) -> None:
    build_cron(connect(redis_settings)).start()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = create_app()
    jobs._app = app   # jobs forked from this process reuse the app built here
    settings = redis_settings(app.config)
    # CronScheduler.start() blocks and installs signal handlers, so it gets a process of its own.
    cron = multiprocessing.Process(target=run_cron, args=(settings,), name="rq-cron", daemon=True)
    cron.start()
    try:
        Worker([QUEUE_NAME], connection=connect(settings)).work(with_scheduler=True)
    finally:
        cron.terminate()


if __name__ == "__main__":
    main()
