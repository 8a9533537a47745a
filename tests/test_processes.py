"""Beyond one process: 2 web processes and 2 workers against PostgreSQL and Redis. Complaints are
filed through both web processes, the shared clock moves past their deadlines, and every reminder
and overdue notice arrives exactly once. And `flask serve` (make run) stops all it started."""
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections import Counter
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from sqlalchemy import func, select

from extensions import db
from models import OutboxMessage, OutboxState
from services.clock import FileClock
from tests.conftest import LONG_SESSIONS_ENV, POSTGRES_URL, START, complaint_form, make_app

ROOT = Path(__file__).resolve().parent.parent
NEEDS_POSTGRES = pytest.mark.skipif(POSTGRES_URL is None, reason="needs PostgreSQL")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            assert process.poll() is None, "the web process died"
            assert time.monotonic() < deadline, "the web process did not start"
            time.sleep(0.1)


class Browser:
    """A signed-in HTTP client of one web process."""

    def __init__(self, port: int, username: str):
        self.base = f"http://127.0.0.1:{port}"
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        self.post("/login", {"username": username, "password": "Demo-2026", "csrf_token": self.csrf("/login")})

    def csrf(self, path: str) -> str:
        page = self.opener.open(self.base + path).read().decode()
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    def post(self, path: str, data: dict):
        return self.opener.open(self.base + path, urllib.parse.urlencode(data).encode())


@pytest.fixture
def cluster(database_urls, redis_url, smtp_server, tmp_path):
    app = make_app(POSTGRES_URL, redis_url, smtp_server)
    clock_file = tmp_path / "now"
    FileClock.write(clock_file, START)
    env = {**os.environ, "DATABASE_URL": POSTGRES_URL, "REDIS_URL": redis_url, "MAIL_SERVER": "127.0.0.1",
           "MAIL_PORT": str(smtp_server.port), "APP_CLOCK_FILE": str(clock_file), "WORKER_TICK_SECONDS": "1",
           "PYTHONPATH": str(ROOT), **LONG_SESSIONS_ENV}
    ports = [free_port(), free_port()]
    processes = [subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}",
                                   "--log-level", "warning", "app:create_app()"], cwd=ROOT, env=env)
                 for port in ports]
    processes += [subprocess.Popen([sys.executable, "worker.py"], cwd=ROOT, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
    try:
        for port, process in zip(ports, processes):
            wait_for_port(port, process)
        yield app, ports, clock_file
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        with app.app_context():
            db.engine.dispose()


def wait_until_sent(app, expected: int, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    with app.app_context():
        while True:
            db.session.expire_all()
            sent = db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                     .where(OutboxMessage.state == OutboxState.SENT))
            if sent >= expected or time.monotonic() > deadline:
                db.session.remove()
                return
            db.session.remove()
            time.sleep(0.5)


@NEEDS_POSTGRES
def test_two_web_processes_and_two_workers_send_each_notice_once(cluster, mailbox):
    app, ports, clock_file = cluster
    browsers = [Browser(port, "staff1") for port in ports]
    for n in range(10):
        browser = browsers[n % 2]
        form = complaint_form(category="4", level="3", customer_name=f"客户{n}")
        form["csrf_token"] = browser.csrf("/intake/new")
        browser.post("/intake/new", form)

    FileClock.write(clock_file, START.replace(minute=21))          # 10:21: dispatch reminders due
    wait_until_sent(app, 10)
    time.sleep(3)                                                         # a few more ticks: nothing more
    FileClock.write(clock_file, START.replace(minute=31))          # 10:31: overdue, to staff1 and head1
    wait_until_sent(app, 30)
    time.sleep(3)

    per_subject = Counter((m["To"], m["Subject"]) for m in mailbox.messages)
    assert len(mailbox.messages) == 30, sorted(per_subject.items())
    assert all(count == 1 for count in per_subject.values())             # nothing twice
    assert Counter(m["To"] for m in mailbox.messages) == {"staff1@example.com": 20, "head1@example.com": 10}


def _children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def test_serve_stops_everything_it_started_when_terminated(tmp_path, redis_url):
    """`flask serve` (make run) under a supervisor that sends SIGTERM: the web server, the worker and
    the mail receiver stop with it, and the port is free again."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}", "REDIS_URL": redis_url,
           "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(free_port())}
    serve = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "serve", "--port", str(port)],
                             cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started: list[int] = []
    try:
        wait_for_port(port, serve)
        started = _children_of(serve.pid)
        assert len(started) >= 3   # the worker, the mail receiver, the web server
        serve.terminate()
        serve.wait(timeout=30)
        assert [pid for pid in started if Path(f"/proc/{pid}").exists()] == []
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    finally:
        for pid in [serve.pid, *started]:
            if Path(f"/proc/{pid}").exists():
                os.kill(pid, signal.SIGKILL)
