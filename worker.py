"""One RQ worker plus RQ's cron scheduler, which enqueues the deadline check and the early warning
of concentrated complaints every minute, the purge of expired sign-in sessions and export files and
the check for the weekly 投诉统计表 every 10 minutes.

Run as many as you like: both jobs are idempotent, and each notice is claimed in the database.
When Redis goes away both keep retrying and carry on once it is back: nobody restarts them."""
from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
import time
from contextlib import nullcontext

import rq
from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from rq.cron import CronScheduler
from rq.exceptions import StopRequested

from app import create_app
from services import jobs
from services.queue import QUEUE_NAME, connect, redis_settings

TICK_SECONDS = int(os.environ.get("WORKER_TICK_SECONDS", "60"))
PURGE_SECONDS = int(os.environ.get("PURGE_SECONDS", "600"))
WAVE_SECONDS = int(os.environ.get("WAVE_SECONDS", "60"))
SHEET_SECONDS = int(os.environ.get("STATISTICS_SHEET_SECONDS", "600"))
RETRY_SECONDS = float(os.environ.get("WORKER_RETRY_SECONDS", "2"))
STOP_WAIT_SECONDS = 10      # for a helper process to stop on SIGTERM before it is killed
log = logging.getLogger("worker")


class Worker(rq.Worker):
    """RQ's worker, running each job in an app context of its own (the jobs assume one) and
    remembering a stop signal: an idle worker's work() returns after SIGTERM just as after a Redis
    failure, and only the signal may end run_worker's loop."""
    stop_signalled = False

    def __init__(self, *args, app: Flask | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.app = app

    def perform_job(self, *args, **kwargs):
        # Runs in the forked work horse: a fresh context (and database session) per job.
        with self.app.app_context() if self.app is not None else nullcontext():
            return super().perform_job(*args, **kwargs)

    def request_stop(self, signum, frame):
        self.stop_signalled = True
        super().request_stop(signum, frame)

    def stop_scheduler(self):
        # RQ's own waits for its scheduler process with no limit: a scheduler that hung would keep
        # the worker, and a deployment stopping it, waiting for ever.
        process = self.scheduler._process if self.scheduler else None
        if process is not None and process.pid:
            stop_process(process)


def build_cron(connection: Redis) -> CronScheduler:
    cron = CronScheduler(connection=connection)
    cron.register(jobs.tick, queue_name=QUEUE_NAME, interval=TICK_SECONDS, name="deadline-tick")
    cron.register(jobs.purge_expired, queue_name=QUEUE_NAME, interval=PURGE_SECONDS, name="purge-expired")
    cron.register(jobs.watch_waves, queue_name=QUEUE_NAME, interval=WAVE_SECONDS, name="wave-watch")
    # The weekly 投诉统计表: checked every 10 minutes, sent once per week on its day (claimed in the database).
    cron.register(jobs.send_statistics_sheet, queue_name=QUEUE_NAME, interval=SHEET_SECONDS, name="statistics-sheet")
    return cron


def stop_process(process) -> None:
    """SIGTERM, then SIGKILL if the process is still there after STOP_WAIT_SECONDS."""
    if process.exitcode is None:
        process.terminate()
        process.join(STOP_WAIT_SECONDS)
        if process.exitcode is None:
            log.warning("%s did not stop on SIGTERM; killing it", process.name)
            process.kill()
            process.join()


def run_cron(redis_settings: dict) -> None:
    # CronScheduler.start() ends on the first Redis error; start it again until stopped by a signal.
    while True:
        try:
            build_cron(connect(redis_settings)).start()
            return
        except StopRequested:
            return
        except (RedisError, OSError) as exc:
            log.warning("cron scheduler lost Redis (%s); retrying in %s s", exc, RETRY_SECONDS)
            try:
                time.sleep(RETRY_SECONDS)
            except StopRequested:
                return


def run_worker(app: Flask, redis_settings: dict) -> None:
    # Worker.work() returns, or raises, when Redis fails at the wrong moment; only a stop signal
    # (Ctrl-C, SIGTERM) ends this loop.
    while True:
        worker = None
        try:
            worker = Worker([QUEUE_NAME], connection=connect(redis_settings), app=app)   # talks to Redis already
            worker.work(with_scheduler=True)
        except (RedisError, OSError) as exc:
            log.warning("worker lost Redis (%s)", exc)
        if worker is not None and worker.stop_signalled:
            return
        log.warning("worker stopped unexpectedly; starting again in %s s", RETRY_SECONDS)
        time.sleep(RETRY_SECONDS)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # SIGTERM outside RQ's own handlers (e.g. while waiting for Redis) still stops the cron process.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = create_app()   # once: every job runs in a context of this app
    settings = redis_settings(app.config)
    # CronScheduler.start() blocks and installs signal handlers, so it gets a process of its own.
    cron = multiprocessing.Process(target=run_cron, args=(settings,), name="rq-cron", daemon=True)
    cron.start()
    try:
        run_worker(app, settings)
    finally:
        stop_process(cron)


if __name__ == "__main__":
    main()
