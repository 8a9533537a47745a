"""Many clients file complaints through the real web path against PostgreSQL while our own Redis
and SMTP server are stopped and started again; then every complaint must be stored once and every
reminder due sent once. The suite runs a short version (tests/test_faults.py).

    .venv/bin/python bench/load_faults.py --clients 50 --complaints 10000

LOAD_DATABASE_URL (default: local PostgreSQL, database complaints_load) is emptied first."""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

DATABASE_URL = os.environ.get("LOAD_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/complaints_load")


def create_database() -> None:
    admin_url, name = DATABASE_URL.rsplit("/", 1)
    engine = create_engine(admin_url + "/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--complaints", type=int, default=10_000)
    parser.add_argument("--web", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--workers", type=int, default=2, help="worker.py processes")
    args = parser.parse_args()

    from tests.conftest import make_app
    from tests.faults import SmtpServer, run_load
    create_database()
    make_app(DATABASE_URL, os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"), SmtpServer())  # empty + demo org
    print(f"{args.clients} clients filing {args.complaints} complaints on {args.web} web processes, "
          f"{args.workers} workers; Redis down from 20 % to 40 %, SMTP down from 50 % to 75 %")
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as workdir:
        figures = run_load(DATABASE_URL, Path(workdir), args.clients, args.complaints // args.clients,
                           web=args.web, workers=args.workers, settle_timeout=1800)
        if set(figures["statuses"]) - {303}:     # what the servers said about the other answers
            log = (Path(workdir) / "processes.log").read_text(errors="replace")
            print("\n".join(block for block in log.split("\n[") if "Traceback" in block)[-6000:])
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    print(f"total {time.monotonic() - started:.0f} s")
    ok = (set(figures["statuses"]) <= {303} and figures["complaints_stored"] == figures["complaints_submitted"]
          and figures["stored_twice"] == figures["missing"] == figures["emails_twice"] == 0
          and figures["emails_sent"] == figures["reminders_due"] == figures["reminders_claimed"]
          and figures["outbox_unsent"] == 0 and figures["workers_alive"].startswith(str(args.workers)))
    print("PASS: nothing lost, nothing twice, no error answer" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
