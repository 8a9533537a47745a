"""Throughput and latency of the main pages on PostgreSQL behind gunicorn (2 workers), against the
machine's baseline (a bare Flask + SQLAlchemy page reading one row) measured in the same run.

    .venv/bin/python bench/pages.py [--complaints 1000000] [--seconds 10] [--clients 8] [--only "queue|first page"]
"""
from __future__ import annotations

import datetime
import random
import re

from common import (DATABASE_URL, WORKERS, CpuMeter, Server, Session, ensure_database, ensure_terms, load, load_arguments,
                    machine, measure_baseline)


def main() -> None:
    args = load_arguments(more=lambda parser: parser.add_argument(
        "--only", default="", help="only the pages whose name matches this regex (the bare page is always measured)"))
    count = ensure_database(args.complaints)
    ensure_terms()   # the complaint pages look for similar complaints, as in life
    print(f"# pages · {datetime.date.today()} · {machine()} · {count} complaints · {DATABASE_URL.split('://')[0]}"
          f" · {args.web_workers} gunicorn workers")

    baseline = measure_baseline(args.clients, args.seconds)

    app = Server("app:create_app()", args.web_workers)
    rng = random.Random(1)
    waiting = awaiting_dispatch(200)
    cases = [
        ("department queue", "dept1", lambda i, n: "/department/"),
        ("branch queue", "head1", lambda i, n: "/branch/"),
        ("overview, first page", "center1", lambda i, n: "/center/"),
        ("overview, page 500", "center1", lambda i, n: "/center/?page=500"),
        ("待我处理, department", "dept1", lambda i, n: "/work/"),
        ("待我处理, service center", "center1", lambda i, n: "/work/"),
        ("navigation counts (every page)", "dept1", lambda i, n: "/work/counts"),
        ("complaint page (+ audit write)", "center1", lambda i, n: f"/complaints/{rng.randint(1, count)}"),
        # A case waiting for dispatch, as the center opens it: with the dispatch form.
        ("complaint page, to dispatch", "center1", lambda i, n: f"/complaints/{rng.choice(waiting)}"),
    ]
    cases = [case for case in cases if re.search(args.only, case[0])]
    # Throughput with `clients` at once (the 2 workers saturated: latency there is mostly waiting in
    # line), then latency with one client per worker (what a user sees when the server is not full).
    rows = [("bare page (baseline)", baseline, measure_baseline(WORKERS, args.seconds))]
    try:
        for name, user, path in cases:
            def session(u=user):
                return Session(app.port, u)
            rows.append((name, load(session, path, args.clients, args.seconds, CpuMeter(app)),
                         load(session, path, args.web_workers, args.seconds)))
    finally:
        app.stop()
    # CPU per request: the app's processes and PostgreSQL's (the baseline's server was not metered).
    print(f"{'':34} {f'{args.clients} clients':>39} {f'{args.web_workers} clients':>17}")
    print(f"{'page':34} {'req/s':>8} {'ratio':>6} {'p50 ms':>8} {'p95 ms':>8} {'errors':>5} {'p50 ms':>8} {'p95 ms':>8}"
          f" {'app CPU ms':>10} {'PG CPU ms':>9}")
    for name, full, calm in rows:
        print(f"{name:34} {full['rps']:8.1f} {full['rps'] / baseline['rps']:6.2f} {full['p50_ms']:8.1f}"
              f" {full['p95_ms']:8.1f} {full['errors'] + calm['errors']:5d} {calm['p50_ms']:8.1f} {calm['p95_ms']:8.1f}"
              f" {full.get('cpu_app_ms', float('nan')):10.1f} {full.get('cpu_postgres_ms', float('nan')):9.1f}")


def awaiting_dispatch(limit: int) -> list[int]:
    """Ids of complaints waiting for dispatch (most of a million are closed)."""
    from sqlalchemy import create_engine, text
    engine = create_engine(DATABASE_URL)
    with engine.connect() as conn:
        ids = list(conn.execute(text("SELECT id FROM complaint WHERE state = 'registered' ORDER BY id LIMIT :n"),
                                {"n": limit}).scalars())
    engine.dispose()
    return ids


if __name__ == "__main__":
    main()
