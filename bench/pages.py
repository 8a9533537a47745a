"""Throughput and latency of the main pages on PostgreSQL behind gunicorn (2 workers), against the
machine's baseline (a bare Flask + SQLAlchemy page reading one row) measured in the same run.

    .venv/bin/python bench/pages.py [--complaints 1000000] [--seconds 10] [--clients 8]
"""
from __future__ import annotations

import datetime
import random

from common import (DATABASE_URL, CpuMeter, Server, Session, ensure_database, load, load_arguments, machine,
                    measure_baseline)


def main() -> None:
    args = load_arguments()
    count = ensure_database(args.complaints)
    print(f"# pages · {datetime.date.today()} · {machine()} · {count} complaints · {DATABASE_URL.split('://')[0]}")

    baseline = measure_baseline(args.clients, args.seconds)

    app = Server("app:create_app()")
    rng = random.Random(1)
    cases = [
        ("department queue", "dept1", lambda i, n: "/department/"),
        ("branch queue", "head1", lambda i, n: "/branch/"),
        ("overview, first page", "center1", lambda i, n: "/center/"),
        ("overview, page 500", "center1", lambda i, n: "/center/?page=500"),
        ("complaint page (+ audit write)", "center1", lambda i, n: f"/complaints/{rng.randint(1, count)}"),
    ]
    rows = [("bare page (baseline)", baseline)]
    try:
        for name, user, path in cases:
            rows.append((name, load(lambda u=user: Session(app.port, u), path, args.clients, args.seconds,
                                    CpuMeter(app))))
    finally:
        app.stop()
    # CPU per request: the app's processes and PostgreSQL's (the baseline's server was not metered).
    print(f"{'page':34} {'req/s':>8} {'ratio':>6} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7} {'app CPU ms':>10}"
          f" {'PG CPU ms':>9}")
    for name, r in rows:
        print(f"{name:34} {r['rps']:8.1f} {r['rps'] / baseline['rps']:6.2f} {r['p50_ms']:8.1f} {r['p95_ms']:8.1f}"
              f" {r['errors']:7d} {r.get('cpu_app_ms', float('nan')):10.1f} {r.get('cpu_postgres_ms', float('nan')):9.1f}")


if __name__ == "__main__":
    main()
