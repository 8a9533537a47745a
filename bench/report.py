"""The periodic reports at scale: how long the monthly report (and the quarterly and annual ones) takes
to compute, render and export, as the center sees it, on the benchmark database.

    .venv/bin/python bench/report.py [--complaints 1000000] [--runs 5]
"""
from __future__ import annotations

import argparse
import datetime
import os
import statistics
import time

from common import DATABASE_URL, PASSWORD, ensure_database, machine


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    count = ensure_database(args.complaints)
    os.environ["DATABASE_URL"] = DATABASE_URL
    from sqlalchemy import func, select, true

    from app import create_app
    from extensions import db
    from models import Complaint
    from services import periods
    from services import statistics as stats

    if DATABASE_URL.startswith("postgresql"):
        # bench-data writes a million rows at once; autovacuum would mark the settled months all-visible
        # soon after (what lets the statistics read only their index); here it is done at once.
        from sqlalchemy import create_engine, text
        engine = create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("VACUUM ANALYZE complaint"))
            conn.execute(text("VACUUM ANALYZE deadline"))
        engine.dispose()
    app = create_app({"REDIS_URL": "redis://127.0.0.1:1/0", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.post("/login", data={"username": "center1", "password": PASSWORD}).status_code == 303
    with app.app_context():
        month = periods.latest_complete("month")
        in_month = db.session.scalar(select(func.count()).select_from(Complaint).where(stats.in_period(month, true())))
        print(f"# reports · {datetime.date.today()} · {machine()} · {count} complaints, "
              f"{in_month} registered in {month.code} · {db.engine.dialect.name}")

    def timed(url: str) -> tuple[float, float]:
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, (url, response.status_code)
        return statistics.median(times), max(times)

    for label, url in [
            ("monthly report, page", f"/reports/monthly?period={month.code}"),
            ("monthly report, Excel", f"/reports/monthly.xlsx?period={month.code}"),
            ("monthly report, print view", f"/reports/monthly/print?period={month.code}"),
            ("statistics page, this month", "/reports/"),
            ("quarterly report, page", f"/reports/quarterly?period={month.previous().code[:4]}-Q3"),
            ("annual report, page", f"/reports/annual?period={month.start.year - 1}"),
            ("unit assessment, month", f"/reports/assessment?period={month.code}"),
    ]:
        median, worst = timed(url)
        print(f"{label:32} median {median * 1000:7.0f} ms   max {worst * 1000:7.0f} ms")


if __name__ == "__main__":
    main()
