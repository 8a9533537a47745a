"""Real servers to break on purpose, and the load-with-faults run shared by the test suite and
bench/load_faults.py: our own redis-server and SMTP server (stopped and started again on the same
port), a TCP proxy in front of PostgreSQL that can be cut, and the web and worker processes.

The system's Redis and PostgreSQL are never touched: every fault is injected into a process
started here."""
from __future__ import annotations

import os
import re
import selectors
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from datetime import timedelta
from http.cookiejar import CookieJar
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from models import Complaint, Deadline, DeadlineKind, OutboxMessage, OutboxState
from services.clock import FileClock
from services.redis_server import start_embedded
from tests.conftest import LONG_SESSIONS_ENV, START, Mailbox, complaint_form

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen | None = None, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            assert process is None or process.poll() is None, "the process died"
            assert time.monotonic() < deadline, f"nothing listens on port {port}"
            time.sleep(0.1)


def kill_tree(pid: int) -> None:
    """SIGKILL a process and all its descendants (RQ runs each job in a child of its own session)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    todo, everyone = [pid], []
    while todo:
        current = todo.pop()
        everyone.append(current)
        todo += children.get(current, [])
    for victim in everyone:
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            pass


class RedisServer:
    """Our own redis-server on a fixed port, stopped and started again with its data kept."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> None:
        _, self.process = start_embedded(self.data_dir, self.port)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)


class SmtpServer:
    """A real SMTP server (aiosmtpd) on a fixed port; its mailbox outlives stops and starts."""

    def __init__(self):
        self.port = free_port()
        self.mailbox = Mailbox()
        self.controller = None

    def start(self) -> None:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


class TcpProxy:
    """A TCP proxy to cut a database connection on purpose: cut() drops every connection and
    refuses new ones until restore(); cut_on(marker) drops the connection that sends `marker`
    (e.g. the text of a statement) before the server sees it."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.down = False
        self.marker: bytes | None = None
        self.cut_seen = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.down:
                client.close()
                continue
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.pairs.append((client, server))
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        selector = selectors.DefaultSelector()
        selector.register(client, selectors.EVENT_READ, server)
        selector.register(server, selectors.EVENT_READ, client)
        try:
            while True:
                for key, _ in selector.select(timeout=1):
                    data = key.fileobj.recv(65536)
                    if not data:
                        return
                    if key.fileobj is client and self.marker and self.marker in data:
                        self.marker = None
                        self.cut_seen.set()
                        return
                    key.data.sendall(data)
        except OSError:
            return
        finally:
            selector.close()
            for sock in (client, server):
                sock.close()

    def cut(self) -> None:
        self.down = True
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for pair in pairs:
            for sock in pair:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def restore(self) -> None:
        self.down = False

    def cut_on(self, marker: bytes) -> None:
        self.cut_seen.clear()
        self.marker = marker

    def close(self) -> None:
        self.cut()
        self.listener.close()


class Cluster:
    """gunicorn web processes and worker.py processes sharing a clock file."""

    def __init__(self, database_url: str, redis_url: str, smtp_port: int, workdir: Path,
                 web: int = 2, workers: int = 2, web_workers_each: int = 1):
        self.clock_file = workdir / "now"
        self.set_clock(START)
        self.env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
                    "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_port), "APP_CLOCK_FILE": str(self.clock_file),
                    "WORKER_TICK_SECONDS": "1", "WORKER_RETRY_SECONDS": "0.5", "PYTHONPATH": str(ROOT),
                    "SECRET_KEY": "load-test", **LONG_SESSIONS_ENV}
        self.log = open(workdir / "processes.log", "ab")
        self.ports = [free_port() for _ in range(web)]
        self.web = [subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(web_workers_each),
                                      "-b", f"127.0.0.1:{port}", "--backlog", "2048", "--log-level", "warning",
                                      "app:create_app()"], cwd=ROOT, env=self.env, stdout=self.log, stderr=self.log)
                    for port in self.ports]
        self.workers = [self.start_worker() for _ in range(workers)]
        for port, process in zip(self.ports, self.web):
            wait_for_port(port, process)

    def start_worker(self) -> subprocess.Popen:
        # Its own process group, so a test can kill the worker with the job it is running.
        return subprocess.Popen([sys.executable, "worker.py"], cwd=ROOT, env=self.env, stdout=self.log,
                                stderr=self.log, start_new_session=True)

    def set_clock(self, moment) -> None:
        FileClock.write(self.clock_file, moment)

    def stop(self) -> None:
        for process in self.web + self.workers:
            if process.poll() is None:
                process.terminate()
        for process in self.web + self.workers:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                kill_tree(process.pid)       # with its cron process and any job still running
                process.wait()
        self.log.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class WebClient:
    """A signed-in user of one web process, through real HTTP."""

    def __init__(self, port: int, username: str):
        self.base = f"http://127.0.0.1:{port}"
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect())
        self.token = self.csrf("/login")
        status, _ = self.post("/login", {"username": username, "password": "Demo-2026"})
        assert status == 303, f"sign-in of {username} answered {status}"
        self.token = self.csrf("/intake/new")

    def csrf(self, path: str) -> str:
        page = self.opener.open(self.base + path, timeout=60).read().decode()
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    def post(self, path: str, data: dict) -> tuple[int, str]:
        """(status, Location or body) of a POST; a refused or dropped connection is status 0."""
        body = urllib.parse.urlencode({**data, "csrf_token": self.token}).encode()
        try:
            with self.opener.open(self.base + path, body, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Location") or error.read().decode()
        except OSError:
            return 0, ""


def percentile(values: list[float], fraction: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * fraction))] if values else 0.0


def run_load(database_url: str, workdir: Path, clients: int, per_client: int, report=print,
             web: int = 2, workers: int = 2, settle_timeout: float = 120) -> dict:
    """`clients` users file `per_client` complaints each through the web while Redis is stopped
    (from 20 % to 40 % of the complaints) and the SMTP server is stopped (from 50 % to 75 %, when the
    clock has moved so that the first half's dispatch reminders fall due). Returns the figures and
    what the checks need; the database must hold the demo organisation and no complaints."""
    redis = RedisServer(workdir / "redis")
    smtp = SmtpServer()
    redis.start()
    smtp.start()
    cluster = Cluster(database_url, redis.url, smtp.port, workdir, web=web, workers=workers)
    total = clients * per_client
    done = Counter()                 # submissions finished, for the fault schedule
    statuses = Counter()             # every HTTP answer, retries included
    latencies: list[float] = []
    filed: dict[str, str] = {}       # customer marker -> the complaint's URL the web answered
    lock = threading.Lock()
    events: dict[str, float] = {}
    started = time.monotonic()

    def client(n: int) -> None:
        web_client = WebClient(cluster.ports[n % len(cluster.ports)], ("staff1", "staff2")[n % 2])
        for i in range(per_client):
            marker = f"负载{n:03d}-{i:05d}"
            form = complaint_form(customer_name=marker, object_text=f"负载测试对象 {marker}", level="3")
            for _attempt in range(600):          # the same token: a retry can never file it twice
                begin = time.monotonic()
                status, location = web_client.post("/intake/new", form)
                with lock:
                    statuses[status] += 1
                    latencies.append(time.monotonic() - begin)
                if status == 303:
                    break
                time.sleep(0.1)
            with lock:
                filed[marker] = location if status == 303 else ""
                done["n"] += 1

    def faults() -> None:
        schedule = [(0.20, "redis stopped", redis.stop), (0.40, "redis started", redis.start),
                    (0.50, "smtp stopped", lambda: (smtp.stop(), cluster.set_clock(START + timedelta(minutes=21)))),
                    (0.75, "smtp started", smtp.start)]
        for fraction, name, action in schedule:
            while done["n"] < fraction * total:
                time.sleep(0.02)
            action()
            events[name] = time.monotonic() - started
            report(f"  {events[name]:6.1f} s  {name} ({done['n']} of {total} filed)")

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    fault_thread = threading.Thread(target=faults, daemon=True)
    try:
        fault_thread.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        fault_thread.join()
        filing_seconds = time.monotonic() - started
        # After recovery: a few minutes on, every back-off has passed (the overdue notices of 10:30 not yet).
        final_clock = START + timedelta(minutes=27)
        cluster.set_clock(final_clock)
        engine = create_engine(database_url)
        settle_start = time.monotonic()
        with Session(engine) as session:
            due = session.scalar(select(func.count()).select_from(Deadline).where(
                Deadline.kind == DeadlineKind.DISPATCH, Deadline.remind_at <= final_clock))
            while True:
                session.expire_all()
                outbox = Counter(dict(session.execute(
                    select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all()))
                if (outbox[OutboxState.SENT] >= due and sum(outbox.values()) == outbox[OutboxState.SENT]) \
                        or time.monotonic() - settle_start > settle_timeout:
                    break
                session.rollback()
                time.sleep(0.5)
            time.sleep(3)             # a few more ticks: nothing more may arrive
            session.expire_all()
            settle_seconds = time.monotonic() - settle_start
            stored = session.execute(select(Complaint.id, Complaint.number, Complaint.customer_name)).all()
            reminded = session.scalar(select(func.count()).select_from(Deadline).where(
                Deadline.kind == DeadlineKind.DISPATCH, Deadline.reminded_at.is_not(None)))
            outbox_ids = set(session.scalars(select(OutboxMessage.id)))
            unsent = session.scalar(select(func.count()).select_from(OutboxMessage)
                                    .where(OutboxMessage.state != OutboxState.SENT))
        engine.dispose()
        workers_alive = sum(process.poll() is None for process in cluster.workers)
    finally:
        cluster.stop()
        for server in (smtp.stop, redis.stop):
            try:
                server()
            except Exception:   # already stopped by a failed run
                pass

    messages = smtp.mailbox.messages
    message_ids = Counter(m["Message-ID"] for m in messages)
    reminders = [m for m in messages if re.search(r"TS-\d{8}-\d+", m["Subject"] or "")]
    per_complaint = Counter(re.search(r"TS-\d{8}-\d+", m["Subject"]).group() for m in reminders)
    names = Counter(name for _, _, name in stored if name.startswith("负载"))
    figures = {
        "clients": clients, "complaints_submitted": total, "filing_seconds": round(filing_seconds, 1),
        "complaints_per_second": round(total / filing_seconds, 1),
        "requests": sum(statuses.values()), "statuses": dict(sorted(statuses.items())),
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else 0,
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1), "max_ms": round(max(latencies, default=0) * 1000, 1),
        "redis_down_seconds": round(events["redis started"] - events["redis stopped"], 1),
        "smtp_down_seconds": round(events["smtp started"] - events["smtp stopped"], 1),
        "complaints_stored": len(names), "stored_twice": sum(1 for c in names.values() if c > 1),
        "missing": sum(1 for marker in filed if marker not in names),
        "numbers_unique": len({number for _, number, _ in stored}) == len(stored),
        "answers_match": all(location.endswith(f"/complaints/{cid}") for cid, _, name in stored
                             if (location := filed.get(name)) is not None),
        "reminders_due": due, "reminders_claimed": reminded, "emails_sent": len(messages),
        "emails_twice": sum(1 for c in message_ids.values() if c > 1),
        "complaints_reminded_twice": sum(1 for c in per_complaint.values() if c > 1),
        "emails_not_in_outbox": sum(1 for mid in message_ids
                                    if int(re.search(r"outbox-(\d+)@", mid).group(1)) not in outbox_ids),
        "outbox_unsent": unsent, "delivery_after_recovery_seconds": round(settle_seconds, 1),
        "workers_alive": f"{workers_alive} of {workers}",
    }
    return figures
