"""The customer's pages in-process (Flask test client, a scratch SQLite database): the time to file
a complaint on the public form (registration, deadlines, tracking code, acceptance e-mail in the
outbox) and to look one up by number and code and show its tracking page.

    .venv/bin/python bench/public_form.py [--complaints 200]

(Not called public.py: that would shadow the `public` package aiosmtpd imports when another script
of this folder runs.)
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=200)
    args = parser.parse_args()
    from app import create_app
    from extensions import db
    from services.demo import seed_demo

    path = os.path.join(tempfile.mkdtemp(), "public.sqlite3")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False, "REDIS_URL": "redis://127.0.0.1:1/0"})
    with app.app_context():
        db.create_all()
        seed_demo()
    client = app.test_client()
    filing, tracking = [], []
    for n in range(args.complaints):
        data = {"submission_token": os.urandom(16).hex(), "customer_name": "王建国", "email": f"c{n}@example.net",
                "category": "1", "branch": "0", "object_text": "城东支行", "content": "排队一个多小时。",
                "demand": "增开窗口。", "website": ""}
        started = time.perf_counter()
        page = client.post("/complain", data=data).text
        filing.append(time.perf_counter() - started)
        number = re.search(r'complaint-number"><strong>([^<]+)<', page).group(1)
        code = re.search(r'tracking-code"><strong>([^<]+)<', page).group(1)
        started = time.perf_counter()
        assert client.post("/track", data={"number": number, "code": code}).status_code == 303
        assert client.get(f"/track/{number}").status_code == 200
        tracking.append(time.perf_counter() - started)
    for name, times in (("file a complaint", filing), ("look up + tracking page", tracking)):
        times.sort()
        print(f"{name}: median {statistics.median(times) * 1000:.1f} ms, "
              f"p95 {times[int(len(times) * 0.95)] * 1000:.1f} ms over {len(times)}")


if __name__ == "__main__":
    main()
