"""Throughput and latency of the ledger on PostgreSQL behind gunicorn (2 workers): the first page and
a deep page (keyset), with and without filters, search, and a branch's own ledger, against the
machine's baseline (a bare Flask + SQLAlchemy page reading one row) measured in the same run.

    .venv/bin/python bench/ledger.py [--complaints 1000000] [--seconds 10] [--clients 8]
"""
from __future__ import annotations

import base64
import datetime
import json
import urllib.parse

from sqlalchemy import create_engine, text

from common import DATABASE_URL, Server, Session, ensure_database, load, load_arguments, machine, measure_baseline


def cursor_at(offset: int, where: str = "TRUE") -> str:
    """The ledger's page cursor (newest first) of the row `offset` rows down, as services.ledger makes it."""
    engine = create_engine(DATABASE_URL)
    with engine.connect() as conn:
        row = conn.execute(text(f"SELECT registered_at, id FROM complaint WHERE {where} "
                                "ORDER BY registered_at DESC, id DESC OFFSET :n LIMIT 1"), {"n": offset}).one()
    engine.dispose()
    raw = json.dumps([row.registered_at.isoformat(), row.id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def main() -> None:
    args = load_arguments()
    count = ensure_database(args.complaints)
    print(f"# ledger · {datetime.date.today()} · {machine()} · {count} complaints · {DATABASE_URL.split('://')[0]}")

    deep = cursor_at(count // 2)
    filtered = "channel=phone&level=2"
    filtered_deep = cursor_at(count // 40, "channel = 'phone' AND level = 2")
    month_ago = (datetime.date.today() - datetime.timedelta(days=30)).isoformat()
    quote = urllib.parse.quote
    cases = [
        ("first page", "center1", "/ledger/"),
        ("deep page (row 500,000)", "center1", f"/ledger/?after={deep}"),
        ("filtered: channel + level", "center1", f"/ledger/?{filtered}"),
        ("filtered, deep (row 25,000)", "center1", f"/ledger/?{filtered}&after={filtered_deep}"),
        ("filtered: last 30 days, on time", "center1", f"/ledger/?date_from={month_ago}&overdue=no"),
        ("search: a customer", "center1", f"/ledger/?q={quote('客户123457')}"),
        ("search: frequent words", "center1", f"/ledger/?q={quote('ATM')}"),
        # Two characters: a name nobody has, a word one complaint in 200 uses, one in 6 does.
        ("search: 2 characters, no match", "center1", f"/ledger/?q={quote('王五')}"),
        ("search: 2 characters, rare", "center1", f"/ledger/?q={quote('柜台')}"),
        ("search: 2 characters, frequent", "center1", f"/ledger/?q={quote('银行')}"),
        ("a branch head's ledger", "head1", "/ledger/"),
        # The page asks for its count after it is shown (one more request per page view).
        ("count: everything (stops at 1,001)", "center1", "/ledger/count"),
        ("count: channel + level", "center1", f"/ledger/count?{filtered}"),
        ("count: frequent words", "center1", f"/ledger/count?q={quote('ATM')}"),
    ]

    baseline = measure_baseline(args.clients, args.seconds)
    rows = [("bare page (baseline)", baseline)]
    app = Server("app:create_app()", args.web_workers)
    try:
        for name, user, path in cases:
            probe = Session(app.port, user)
            status, body = probe.request("GET", path)
            assert status == 200 and "ledger-count" in body, f"{name}: {status}"
            rows.append((name, load(lambda u=user: Session(app.port, u), lambda i, n, p=path: p,
                                    args.clients, args.seconds)))
    finally:
        app.stop()
    print(f"{'ledger page':34} {'req/s':>8} {'ratio':>6} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7}")
    for name, r in rows:
        print(f"{name:34} {r['rps']:8.1f} {r['rps'] / baseline['rps']:6.2f} {r['p50_ms']:8.1f} {r['p95_ms']:8.1f}"
              f" {r['errors']:7d}")


if __name__ == "__main__":
    main()
