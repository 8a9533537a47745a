"""Shared by the benchmark scripts: a database with data, gunicorn servers, signed-in HTTP clients,
and a load loop that reports throughput and latency percentiles."""
from __future__ import annotations

import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))   # the scripts import the app itself
PYTHON = sys.executable
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/complaints_bench")
PASSWORD = "Demo-2026"
WORKERS = 2    # gunicorn workers, as in the README's deployment


def flask(*args: str, env: dict | None = None) -> str:
    result = subprocess.run([PYTHON, "-m", "flask", "--app", "app", *args], cwd=ROOT,
                            capture_output=True, text=True, env={**os.environ, "DATABASE_URL": DATABASE_URL, **(env or {})})
    if result.returncode:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def ensure_database(complaints: int) -> int:
    """Create the database if needed, migrate it, and top it up to `complaints` complaints."""
    if DATABASE_URL.startswith("postgresql"):
        from sqlalchemy import create_engine, text
        admin_url = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
        name = DATABASE_URL.rsplit("/", 1)[1]
        engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
    flask("db", "upgrade")
    from sqlalchemy import create_engine, text
    engine = create_engine(DATABASE_URL)
    with engine.connect() as conn:
        have = conn.execute(text("SELECT count(*) FROM complaint")).scalar()
    if have < complaints:
        print(f"generating {complaints - have} complaints …", flush=True)
        print(flask("bench-data", "--complaints", str(complaints - have)).strip(), flush=True)
        have = complaints
    engine.dispose()
    return have


def keep_terms() -> None:
    """The terms of the complaints that have none, as registration keeps them (bench-data writes rows
    directly, not through registration; building their index would double its time): without them a
    complaint's page finds no similar complaints, and costs less than in life. In an app context."""
    from sqlalchemy import func, insert, select

    from extensions import db
    from models import Complaint, ComplaintTerms
    from services import textsim
    from services.benchdata import REBUILD_FROM, drop_indexes, restore_indexes
    last, written, started = 0, 0, time.perf_counter()
    missing = db.session.scalar(select(func.count()).select_from(Complaint).outerjoin(
        ComplaintTerms, ComplaintTerms.complaint_id == Complaint.id).where(ComplaintTerms.complaint_id.is_(None)))
    dropped = drop_indexes(("complaint_terms",)) if missing >= REBUILD_FROM else []
    try:
        while True:
            rows = db.session.execute(
                select(Complaint.id, Complaint.registered_at, Complaint.content, Complaint.object_text)
                .outerjoin(ComplaintTerms, ComplaintTerms.complaint_id == Complaint.id)
                .where(Complaint.id > last, ComplaintTerms.complaint_id.is_(None)).order_by(Complaint.id).limit(10_000)).all()
            if not rows:
                break
            db.session.execute(insert(ComplaintTerms), [
                {"complaint_id": r.id, "registered_at": r.registered_at, "terms": textsim.terms(r.content, r.object_text)}
                for r in rows])
            db.session.commit()
            last, written = rows[-1].id, written + len(rows)
    finally:
        restore_indexes(dropped)
    if written and db.engine.dialect.name == "postgresql":
        # Registration writes a complaint's terms as it comes: in time order, as CLUSTER puts them
        # (bench-data's ids are not in time order). Then the statistics of the everyday words.
        db.session.execute(db.text("CLUSTER complaint_terms USING ix_complaint_terms_registered"))
        db.session.execute(db.text("ANALYZE complaint_terms"))
        db.session.commit()
    if written:
        print(f"terms kept for {written} complaints in {time.perf_counter() - started:.0f} s", flush=True)


def ensure_terms() -> None:
    """keep_terms, in an app of its own (the HTTP benchmarks have none; no Redis needed)."""
    from app import create_app
    with create_app({"SQLALCHEMY_DATABASE_URI": DATABASE_URL, "REDIS_URL": "redis://127.0.0.1:1/0"}).app_context():
        keep_terms()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn with 2 workers, as in the README's deployment."""

    def __init__(self, target: str, workers: int = WORKERS):
        self.port = free_port()
        env = {**os.environ, "DATABASE_URL": DATABASE_URL, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen([PYTHON, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{self.port}",
                                         "--log-level", "warning", target], cwd=ROOT, env=env)
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{target} did not start")
                time.sleep(0.1)
        # The port answers once the first worker is up; the others are forked after it.
        while len(_processes(parent=self.process.pid)) < 1 + workers:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{target} did not start its {workers} workers")
            time.sleep(0.1)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=20)


class Session:
    """A keep-alive HTTP connection with the cookies of one signed-in user."""

    def __init__(self, port: int, username: str | None = None):
        self.port, self.cookies = port, {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        if username:
            page = self.request("GET", "/login")[1]
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
            status, _ = self.request("POST", "/login", {"username": username, "password": PASSWORD, "csrf_token": token})
            assert status == 303, f"login of {username} failed ({status})"

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, text


def _cpu_seconds(pids) -> float:
    """User + system CPU time of the processes, from /proc (Linux)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])       # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def _processes(parent: int | None = None, name: str | None = None) -> list[int]:
    """The children of `parent` (with it), or every process called `name`."""
    found = [parent] if parent else []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                comm, rest = stat.read().split(" (", 1)[1].rsplit(")", 1)
        except (FileNotFoundError, ProcessLookupError):
            continue
        if (parent and int(rest.split()[1]) == parent) or (name and comm == name):
            found.append(int(entry))
    return found


class CpuMeter:
    """Where the CPU went during a load window: the app server's processes, PostgreSQL's, and this
    load generator; per request, it shows what one request costs and what the cores can carry."""

    def __init__(self, server: "Server"):
        self.server = server

    def _read(self) -> tuple[float, float, float]:
        return (_cpu_seconds(self.server_pids), _cpu_seconds(_processes(name="postgres")),
                time.process_time())

    def start(self) -> None:
        # The server's processes as the window opens: gunicorn forks its workers one after the other,
        # and a list taken as it starts held only the first (its CPU a request was half the app's).
        self.server_pids = _processes(parent=self.server.process.pid)
        self.began = self._read()

    def per_request_ms(self, requests: int) -> dict:
        ended = self._read()
        return {f"cpu_{part}_ms": 1000 * (end - start) / max(requests, 1)
                for part, start, end in zip(("app", "postgres", "client"), self.began, ended)}


def load(make_session, path_for, clients: int = 8, seconds: float = 10.0, meter: CpuMeter | None = None) -> dict:
    """`clients` threads request as fast as they can for `seconds`; throughput and latencies.

    `path_for(index, n)` gives a path to GET, or a (path, form) pair to POST (a 303 counts as done).
    With a `meter`, the CPU time per request of the server, PostgreSQL and the clients too."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    window = {}

    def start_clock():   # the window opens when every client has signed in
        window["began"] = time.monotonic()
        window["stop_at"] = window["began"] + seconds
        if meter:
            meter.start()
    ready = threading.Barrier(clients, action=start_clock)

    def run(index: int):
        session = make_session()
        ready.wait()
        mine, n = [], 0
        while time.monotonic() < window["stop_at"]:
            started = time.perf_counter()
            target = path_for(index, n)
            if isinstance(target, str):
                status, _ = session.request("GET", target)
            else:
                status, _ = session.request("POST", *target)
            mine.append(time.perf_counter() - started)
            if status not in (200, 303):
                errors[0] += 1
            n += 1
        with lock:
            latencies.extend(mine)
    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - window["began"]
    latencies.sort()
    return {"requests": len(latencies), "rps": len(latencies) / elapsed, "errors": errors[0],
            "p50_ms": 1000 * statistics.median(latencies),
            "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))],
            **(meter.per_request_ms(len(latencies)) if meter else {})}


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    return f"{os.cpu_count()} cores, {cpu}"


def load_arguments(description: str | None = None, more=None):
    """The options every HTTP benchmark takes: database size, seconds of load, clients, and the
    gunicorn workers of the app (the baseline always has WORKERS); `more(parser)` adds a script's own."""
    import argparse
    parser = argparse.ArgumentParser(description=description)
    if more:
        more(parser)
    parser.add_argument("--complaints", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--web-workers", type=int, default=WORKERS, help="gunicorn workers of the app")
    return parser.parse_args()


def measure_baseline(clients: int, seconds: float) -> dict:
    """The machine's yardstick, measured in the same run: a bare Flask + SQLAlchemy page behind gunicorn."""
    server = Server("bench.baseline:app")
    try:
        return load(lambda: Session(server.port), lambda i, n: "/", clients, seconds)
    finally:
        server.stop()
