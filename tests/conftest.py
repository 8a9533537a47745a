"""Fixtures: the app on SQLite and (when it answers) PostgreSQL, a real Redis, a real SMTP server,
a frozen clock, and clients signed in as the demo accounts."""
from __future__ import annotations

import ast
import contextvars
import os
import sys
import re
import socket
import threading
from datetime import datetime
from email import message_from_bytes, policy as email_policy
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from jinja2.bccache import Bucket, BytecodeCache
from redis import Redis
from sqlalchemy import create_engine, make_url, text

from app import create_app
from extensions import db
from models.audit import AUDIT_TABLES, SQLITE_EVENTS, sqlite_append_only_triggers, sqlite_trigger_name
from services.clock import FrozenClock
from services.demo import DEMO_PASSWORD, seed_demo
from services.redis_server import answers, start_embedded

# Tuesday 24 November 2026, 10:00 in Shanghai: a working day, in working hours.
START = datetime(2026, 11, 24, 2, 0)
LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# The flows move the clock by days while signed in; the session tests set the real limits.
LONG_SESSIONS = {"SESSION_IDLE_MINUTES": 60 * 24 * 365, "SESSION_ABSOLUTE_HOURS": 24 * 365}
LONG_SESSIONS_ENV = {key: str(value) for key, value in LONG_SESSIONS.items()}   # for app processes


def _serialised_ast_parse():
    """CPython before 3.11.8 and 3.12.2 keeps ast.parse's recursion counter per interpreter, not per
    call (gh-106905): when a garbage collection lets another thread parse mid-parse, the first fails
    with "AST constructor recursion depth mismatch". The suite's threads do parse at once: werkzeug
    compiles each new app's routes with ast.parse while a local server's thread formats a traceback
    (the traceback module parses the failing line to underline it). One lock over ast.parse removes
    the race."""
    if sys.version_info >= (3, 12, 2) or (3, 11, 8) <= sys.version_info < (3, 12):
        return
    parse, lock = ast.parse, threading.RLock()

    def serialised(*args, **kwargs):
        with lock:
            return parse(*args, **kwargs)

    ast.parse = serialised


_serialised_ast_parse()


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex(("127.0.0.1", port)) == 0


# Under pytest-xdist (`make test` runs one worker per core) each worker has its own PostgreSQL
# database and Redis database; the SQLite files are per worker already (tmp_path_factory).
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")   # "gw0", "gw1", … ; "" without xdist
WORKER_INDEX = int(WORKER[2:]) if WORKER else 0


def _own_database(url: str) -> str:
    """The worker's copy of the database at `url`: the database itself for the first worker, else
    one named after the worker, made when missing."""
    if WORKER_INDEX == 0:
        return url
    base = make_url(url)
    name = f"{base.database}_{WORKER}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}):
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _postgres_url() -> str | None:
    if os.environ.get("TEST_DATABASE_URL"):
        return _own_database(os.environ["TEST_DATABASE_URL"])
    return _own_database(LOCAL_POSTGRES) if _port_open(5432) else None


def _own_redis(url: str) -> str:
    """The worker's Redis database: the next lower number for each further worker."""
    if WORKER_INDEX == 0:
        return url
    base = urlsplit(url)
    return base._replace(path=f"/{(int(base.path.strip('/') or 0) - WORKER_INDEX) % 16}").geturl()


POSTGRES_URL = _postgres_url()
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    POSTGRES_URL is None, reason="no PostgreSQL answers (set TEST_DATABASE_URL)"))]


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory) -> dict:
    return {"sqlite": f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}",
            "postgresql": POSTGRES_URL}


@pytest.fixture(scope="session")
def redis_url():
    """A real Redis: REDIS_URL, else the local one (database 15), else an embedded redis-server."""
    if os.environ.get("REDIS_URL"):
        yield _own_redis(os.environ["REDIS_URL"])
        return
    if answers("redis://127.0.0.1:6379/15"):
        yield _own_redis("redis://127.0.0.1:6379/15")
        return
    url, process = start_embedded(Path(__file__).parent.parent / "instance" / f"test-redis{WORKER}")
    yield url
    process.terminate()
    process.wait()


class Mailbox:
    """An aiosmtpd handler keeping every received message, parsed."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content, policy=email_policy.default))
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]

    def subjects(self) -> list[str]:
        return [m["Subject"] for m in self.messages]


@pytest.fixture(scope="session")
def smtp_server():
    handler = Mailbox()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    controller.mailbox = handler
    yield controller
    controller.stop()


@pytest.fixture
def mailbox(smtp_server) -> Mailbox:
    smtp_server.mailbox.messages.clear()
    return smtp_server.mailbox


_schemas_ready: set[str] = set()


def _wipe() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        # TRUNCATE takes 60–120 ms however few rows there are. Deleting the rows of the tables that
        # hold any is a few milliseconds, with triggers off for the wipe (the audit tables refuse
        # DELETE; replica mode also skips the foreign-key checks), and every sequence starts again.
        probe = " UNION ALL ".join(f"""SELECT '"{t.name}"' WHERE EXISTS (SELECT 1 FROM "{t.name}")""" for t in tables)
        deletes = "".join(f"DELETE FROM {name};" for name in db.session.scalars(db.text(probe)))
        db.session.execute(db.text(
            f"SET LOCAL session_replication_role = replica; {deletes}"
            "SELECT setval(oid, 1, false) FROM pg_class WHERE relkind = 'S' AND relnamespace = 'public'::regnamespace"))
    else:
        # The audit tables refuse DELETE (append-only): their triggers step aside for the wipe only.
        for table in AUDIT_TABLES:
            for statement in SQLITE_EVENTS:
                db.session.execute(db.text(f"DROP TRIGGER IF EXISTS {sqlite_trigger_name(table.name, statement)}"))
        for table in tables:
            db.session.execute(table.delete())
        for table in AUDIT_TABLES:
            for statement in sqlite_append_only_triggers(table.name):
                db.session.execute(db.text(statement))
    db.session.commit()


def _fresh_schema() -> None:
    """Drop everything, including tables a run of another branch's code left behind."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(db.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.session.commit()
    else:
        db.drop_all()


class CompiledTemplates(BytecodeCache):
    """Each test makes its own app, whose Jinja environment would compile every template it renders
    again (a tenth of the suite's time). The compiled code is shared between the apps instead, keyed
    by the template and the checksum of its source."""

    def __init__(self):
        self.code = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        kept = self.code.get(bucket.key)
        if kept is not None and kept[0] == bucket.checksum:
            bucket.code = kept[1]

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[bucket.key] = (bucket.checksum, bucket.code)


COMPILED_TEMPLATES = CompiledTemplates()


def make_app(database_url: str, redis_url: str, smtp_server, **overrides):
    clock = FrozenClock(START)
    app = create_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": redis_url,
        # 10 s: the test's SMTP server, on two cores shared with the browser tests, once took over 2 s
        # to answer (the message was left for a retry the test did not wait for).
        "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port, "SMTP_TIMEOUT": 10,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "CLOCK": clock,
        "PUBLIC_URL": "http://complaints.test",
        # The flow tests move the clock by days while signed in; tests/test_sessions.py sets real limits.
        **LONG_SESSIONS, **overrides,
    })
    app.clock = clock
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    with app.app_context():
        if database_url not in _schemas_ready:
            _fresh_schema()
            db.create_all()
            _schemas_ready.add(database_url)
        _wipe()
        seed_demo()
    Redis.from_url(redis_url).flushdb()
    return app


def pytest_generate_tests(metafunc):
    """A test of the app runs on every backend, unless marked `one_backend`: it checks rendering,
    validation or a role's rights, which no database answers differently. Whatever the database
    stores, counts, orders, locks or migrates is tested on PostgreSQL too."""
    if "app" in metafunc.fixturenames:
        backends = ["sqlite"] if metafunc.definition.get_closest_marker("one_backend") else BACKENDS
        metafunc.parametrize("app", backends, indirect=True)


@pytest.fixture
def app(request, database_urls, redis_url, smtp_server):
    app = make_app(database_urls[request.param], redis_url, smtp_server)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def sqlite_app(database_urls, redis_url, smtp_server):
    """For tests that need one backend only (browser tests, slow paths)."""
    app = make_app(database_urls["sqlite"], redis_url, smtp_server)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def clock(app) -> FrozenClock:
    return app.clock


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


class Client:
    """A test client signed in as a demo user, posting forms with the session's CSRF token.

    Each request runs in an empty contextvars.Context: the test body holds an app context (for the
    database), and without this Flask would reuse it, sharing `g` and the SQLAlchemy session
    between the test and the requests."""

    def __init__(self, app):
        self.http = app.test_client()
        self.token = None

    def _isolated(self, method, *args, **kwargs):
        def request_and_read():
            # A streamed response (a CSV export) is read and closed here, in its own context, so
            # its database cursor does not stay open in a transaction after the request.
            response = method(*args, **kwargs)
            response.get_data()
            response.close()
            return response
        return contextvars.Context().run(request_and_read)

    def csrf(self) -> str:
        page = self.get("/login").text
        match = CSRF_RE.search(page)
        return match.group(1) or match.group(2)

    def login(self, username: str, password: str = DEMO_PASSWORD):
        response = self.post("/login", data={"username": username, "password": password,
                                             "csrf_token": self.csrf()})
        self.token = self.csrf()
        return response

    def get(self, url, **kwargs):
        return self._isolated(self.http.get, url, **kwargs)

    def act(self, complaint_id: int, action: str, data: dict):
        """Post an action form of the complaint page (its fields are prefixed with the action)."""
        return self.post(f"/complaints/{complaint_id}/{action}",
                         data={f"{action}-{key}": value for key, value in data.items()})

    def post(self, url, data=None, csrf=True, **kwargs):
        data = dict(data or {})
        if csrf and self.token:
            data.setdefault("csrf_token", self.token)
        return self._isolated(self.http.post, url, data=data, **kwargs)


@pytest.fixture
def client_for(app):
    """client_for("staff1") is a Client signed in as the demo account staff1."""
    def make(username: str) -> Client:
        client = Client(app)
        assert client.login(username).status_code == 303
        return client
    return make


def complaint_form(**changes) -> dict:
    data = {
        "submission_token": os.urandom(16).hex(), "customer_name": "王建国",
        "customer_contact": "13800138000", "customer_ref": "6222-0001", "channel": "counter",
        "received_at": "2026-11-24T09:55", "content": "在柜台排队等候超过一小时，无人解释原因。",
        "demand": "希望支行道歉并改进排队管理。", "object_text": "城东支行营业厅", "category": "4", "level": "2",
    }
    data.update(changes)
    return data
