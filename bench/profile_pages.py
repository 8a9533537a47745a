"""Where a page's CPU goes, in-process through Flask's test client: each page of bench/pages.py (and
待我处理 and the ledger) under cProfile, the top functions by own time and by cumulative time; or,
with --cpu, each page's CPU per request without the profiler and its ratio to a bare page (signed
in, one row, a one-line template: tests/test_page_budget.py's yardstick) measured in turn with it;
with --without MODULE:FUNCTION, each page's CPU and PostgreSQL's with that function as it is and
made a no-op, switched back and forth in one process (a change of a few per cent, which this
machine's drift between two runs hides).

    .venv/bin/python bench/profile_pages.py [--requests 50] [--top 25] [--page complaint] [--cpu]
    .venv/bin/python bench/profile_pages.py --without services.sql:reading_in_autocommit --requests 40

It reads the benchmark database (BENCH_DATABASE_URL, as bench/pages.py; it must hold complaints
already) and signs in as the demo accounts; the complaint page writes its audit entry as it does
for users. `--fresh N` instead fills a new, empty database (`--url`, else a SQLite file) with the
demo organisation and N complaints.
"""
from __future__ import annotations

import argparse
import cProfile
import importlib
import io
import os
import pstats
import random
import re
import statistics
import tempfile
import time

from common import DATABASE_URL, PASSWORD, _cpu_seconds, _processes, keep_terms

PAGES = {
    "bare": ("center1", lambda rng, n: "/_bare"),
    "department": ("dept1", lambda rng, n: "/department/"),
    "branch": ("head1", lambda rng, n: "/branch/"),
    "overview": ("center1", lambda rng, n: "/center/"),
    "work": ("dept1", lambda rng, n: "/work/"),
    "center work": ("center1", lambda rng, n: "/work/"),   # the service center's: its most groups
    # What every page's navigation asks for as soon as it loads.
    "work counts": ("dept1", lambda rng, n: "/work/counts"),
    # What every open page asks for every 30 seconds.
    "session status": ("dept1", lambda rng, n: "/session/status"),
    "ledger": ("center1", lambda rng, n: "/ledger/"),
    "complaint": ("center1", lambda rng, n: f"/complaints/{rng.randint(1, n)}"),
    # An open complaint, where the page shows its reader's action forms (most of a million are closed).
    "open complaint": ("center1", lambda rng, n: f"/complaints/{rng.choice(OPEN)}"),
}
OPEN: list[int] = []   # ids of open complaints, read at the start


def make_app(url: str):
    os.environ["DATABASE_URL"] = url
    from flask import render_template_string
    from flask_login import login_required
    from sqlalchemy import text

    from app import create_app
    from extensions import db

    @login_required
    def bare():   # tests/test_page_budget.py's bare page
        number = db.session.scalar(text("SELECT number FROM complaint ORDER BY id LIMIT 1"))
        return render_template_string("<!DOCTYPE html><title>baseline</title><p>{{ number }}</p>", number=number)
    app = create_app()
    app.add_url_rule("/_bare", "bare_page", bare)
    return app


def fresh(url: str | None, count: int) -> str:
    from app import create_app
    from extensions import db
    from services.benchdata import generate
    from services.demo import seed_demo
    url = url or f"sqlite:///{tempfile.mkdtemp()}/profile.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        seed_demo()
        generate(count)
    return url


def signed_in(app, username: str):
    client = app.test_client()
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303, f"login of {username} failed ({response.status_code})"
    return client


def cpu(clients: dict, count: int, requests: int, rounds: int = 5) -> None:
    """Each page's CPU a request, and its ratio to the bare page requested between every two."""
    rng = random.Random(1)
    bare = clients["_bare"]
    spent = {name: [] for name in clients}
    for _ in range(rounds):
        for name, (client, path) in clients.items():
            if name == "_bare":
                continue
            for _ in range(requests):
                for who, url in ((bare[0], "/_bare"), (client, path(rng, count))):
                    started = time.process_time()
                    assert who.get(url).status_code == 200, url
                    spent["_bare" if url == "/_bare" else name].append(time.process_time() - started)
    per_round = len(spent["_bare"]) // rounds
    bare_ms = [statistics.median(spent["_bare"][i * per_round:(i + 1) * per_round]) for i in range(rounds)]
    print(f"bare page {statistics.median(bare_ms) * 1000:.2f} ms CPU a request")
    for name in clients:
        if name == "_bare":
            continue
        rounds_ms = [statistics.median(spent[name][i * requests:(i + 1) * requests]) for i in range(rounds)]
        ratios = sorted(page / base for page, base in zip(rounds_ms, bare_ms))
        print(f"{name:12} {statistics.median(rounds_ms) * 1000:6.2f} ms  ratio {statistics.median(ratios):5.2f}"
              f"  ({ratios[0]:.2f}–{ratios[-1]:.2f})")


def with_and_without(clients: dict, count: int, requests: int, target: str, rounds: int = 40) -> None:
    """Each page with `target` ("module:function") as it is ("on") and made a no-op returning None
    ("off"), switched every `requests` requests, which goes first alternating round by round; the
    app's CPU (this process) and PostgreSQL's (all its processes here, from /proc) a request. The
    bare page, which no switch touches, shows how far the rounds drift by themselves."""
    module_name, name = target.split(":")
    module = importlib.import_module(module_name)
    real = getattr(module, name)
    rng = random.Random(1)
    print(f"with and without {target}: {rounds} rounds of {requests} requests each way")
    for page, (client, path) in clients.items():
        spent, database = {"on": [], "off": []}, {"on": 0.0, "off": 0.0}
        try:
            for number in range(rounds):
                for way in ("on", "off") if number % 2 else ("off", "on"):
                    setattr(module, name, real if way == "on" else (lambda *_args, **_kwargs: None))
                    database_began, began = _cpu_seconds(_processes(name="postgres")), time.process_time()
                    for _ in range(requests):
                        assert client.get(path(rng, count)).status_code == 200
                    spent[way].append((time.process_time() - began) / requests)
                    database[way] += _cpu_seconds(_processes(name="postgres")) - database_began
        finally:
            setattr(module, name, real)
        ratios = sorted(on / off for on, off in zip(spent["on"], spent["off"]))
        each = rounds * requests / 1000   # ms a request
        print(f"{page.lstrip('_'):15} app {statistics.median(spent['off']) * 1000:6.2f} → "
              f"{statistics.median(spent['on']) * 1000:6.2f} ms, on/off {statistics.median(ratios):.2f} "
              f"(quartiles {ratios[len(ratios) // 4]:.2f}–{ratios[3 * len(ratios) // 4]:.2f}); "
              f"PostgreSQL {database['off'] / each:.2f} → {database['on'] / each:.2f} ms")


def profile(name: str, client, path, count: int, requests: int, top: int, dump: str | None) -> None:
    rng = random.Random(1)
    # Wall-clock timer (a CPU-time one costs a system call per function call and distorts more):
    # psycopg's wait() is PostgreSQL's time, not this process's.
    profiler = cProfile.Profile()
    started = time.process_time()
    for _ in range(requests):
        profiler.enable()
        response = client.get(path(rng, count))
        profiler.disable()
        assert response.status_code == 200
    spent = (time.process_time() - started) / requests
    if dump:
        profiler.dump_stats(os.path.join(dump, f"{name.replace(' ', '-')}.pstats"))
    calls = sum(stat[1] for stat in pstats.Stats(profiler).stats.values()) / requests
    # The function calls do not depend on the machine's load: a steadier yardstick than the time.
    print(f"\n## {name} ({PAGES[name][0]}): {calls:,.0f} function calls and {spent * 1000:.2f} ms CPU a request"
          " under the profiler")
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(top)
        print(f"### by {order}")
        print("\n".join(line.replace(os.path.dirname(os.__file__), "").replace(os.getcwd() + "/", "")
                        for line in out.getvalue().splitlines()
                        if line.strip() and not line.lstrip().startswith(("Ordered", "List reduced"))))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--page", action="append", choices=list(PAGES), help="(repeat) these pages only")
    parser.add_argument("--cpu", action="store_true", help="CPU and ratio to the bare page, no profiler")
    parser.add_argument("--url", help=f"the database (default {DATABASE_URL})")
    parser.add_argument("--fresh", type=int, metavar="N", help="fill a new database with N complaints first")
    parser.add_argument("--dump", metavar="DIR", help="also write each page's pstats file here")
    parser.add_argument("--without", metavar="MODULE:FUNCTION",
                        help="each page with this function and with it made a no-op, in one process")
    args = parser.parse_args()
    url = fresh(args.url, args.fresh) if args.fresh else args.url or DATABASE_URL
    app = make_app(url)
    from sqlalchemy import func, select

    from extensions import db
    from models import Complaint
    with app.app_context():
        keep_terms()   # the complaint pages look for similar complaints, as in life
        count = db.session.scalar(select(func.max(Complaint.id)))
        OPEN.extend(db.session.scalars(select(Complaint.id).where(Complaint.state == "registered")
                                       .order_by(Complaint.id).limit(100)))
    if args.cpu and args.page and set(args.page) == {"bare"}:
        parser.error("--cpu measures pages against the bare page, which it always requests: name another page")
    rng = random.Random(1)
    clients = {"_bare": (signed_in(app, "center1"), PAGES["bare"][1])}
    for name in args.page or [page for page in PAGES if page != "bare"]:
        username, path = PAGES[name]
        clients[name] = (signed_in(app, username), path)
    for client, path in clients.values():
        for _ in range(5):   # warm-up: templates compiled, caches filled
            assert client.get(path(rng, count)).status_code == 200
    if args.without:
        clients.pop("bare", None)
        with_and_without(clients, count, args.requests, args.without)
        return
    if args.cpu:
        clients.pop("bare", None)   # (the yardstick itself, under "_bare")
        cpu(clients, count, args.requests)
        return
    for name, (client, path) in clients.items():
        if name != "_bare":
            profile(name, client, path, count, args.requests, args.top, args.dump)


if __name__ == "__main__":
    main()
