import json
import pytest

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine

from extensions import db
from models.complaint import schema_filter
from tests.conftest import Client


def test_healthz_reports_db_and_redis(app):
    response = Client(app).get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.text) == {"db": "ok", "redis": "ok"}


def test_healthz_names_what_is_down(app, caplog):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    app.extensions.pop("redis", None)
    response = Client(app).get("/healthz")
    assert response.status_code == 503
    # What is down, and nothing of why: the exception stays in the server's log.
    assert json.loads(response.text) == {"db": "ok", "redis": "down"}
    assert "redis is down" in caplog.text and "ConnectionError" in caplog.text


def _fresh_database_url(app, tmp_path, name: str) -> tuple[str, callable]:
    """An empty database of the app's kind: a new SQLite file, or a new PostgreSQL schema."""
    if db.engine.dialect.name != "postgresql":
        return f"sqlite:///{tmp_path / (name + '.sqlite3')}", lambda: None
    url = db.engine.url.render_as_string(hide_password=False)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        conn.exec_driver_sql(f"CREATE SCHEMA {name}")

    def drop():
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {name} CASCADE")
        engine.dispose()
    return url + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{name}", drop


def test_migrations_build_exactly_the_models_schema(app, tmp_path):
    """`flask db upgrade` on an empty database gives the schema the models describe."""
    from app import create_app
    url, drop = _fresh_database_url(app, tmp_path, "migration_check")
    migrated = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": app.config["REDIS_URL"]})
    with migrated.app_context():
        upgrade()
        with db.engine.connect() as conn:
            only_this_database = {"include_object": schema_filter(conn.dialect.name)}
            diff = compare_metadata(MigrationContext.configure(conn, opts=only_this_database), db.metadata)
        db.engine.dispose()
    drop()
    assert diff == []


# A unit, a user, a category and one complaint, in SQL the first schema (9b748f25f545) and every
# later one accept: for tests that run the migrations on a database with data in it.
ONE_COMPLAINT_IN_THE_FIRST_SCHEMA = [
    "INSERT INTO unit (id, code, name, name_en, kind) VALUES (1, 'BR01', '支行', 'Branch', 'branch')",
    "INSERT INTO \"user\" (id, username, name, email, password_hash, role, unit_id, locale, active) "
    "VALUES (1, 'u', 'U', 'u@x.cn', 'x', 'staff', 1, 'zh_CN', true)",
    "INSERT INTO category (id, code, name, name_en, active) VALUES (1, 'c', '类', 'C', true)",
    "INSERT INTO complaint (id, number, submission_token, version, state, customer_name, customer_contact, "
    "channel, received_at, registered_at, content, demand, object_text, category_id, level, owner_id, unit_id) "
    "VALUES (1, 'TS-20261124-0001', 't', 1, 'registered', '王', '138', 'phone', '2026-11-24 01:00:00', "
    "'2026-11-24 01:05:00', 'c', 'd', 'o', 1, 2, 1, 1)",
]

def test_upgrading_a_database_with_complaints_keeps_them(app, tmp_path):
    """The first schema with data in it, then every later migration: nothing is lost."""
    from app import create_app
    url, drop = _fresh_database_url(app, tmp_path, "migration_data")
    migrated = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": app.config["REDIS_URL"]})
    with migrated.app_context():
        upgrade(revision="9b748f25f545")
        with db.engine.begin() as conn:
            for statement in ONE_COMPLAINT_IN_THE_FIRST_SCHEMA + [
                "INSERT INTO deadline (id, complaint_id, kind, started_at, due_at, remind_at) VALUES "
                "(1, 1, 'dispatch', '2026-11-24 01:05:00', '2026-11-24 01:35:00', '2026-11-24 01:25:00')",
            ]:
                conn.exec_driver_sql(statement)
        upgrade()
        from models import Complaint
        complaint = db.session.get(Complaint, 1)
        assert complaint.number == "TS-20261124-0001" and complaint.round == 1
        assert complaint.kind.value == "routine" and not complaint.is_major
        assert [d.kind.value for d in complaint.deadlines] == ["dispatch"]
        db.session.remove()
        db.engine.dispose()
    drop()


def test_the_app_talks_to_postgresql_without_jit_or_parallel_workers(app):
    """JIT compiled statements PostgreSQL counted dear that read for a millisecond: 300 ms of the
    center's navigation counts on every page at 1,000,000 complaints; parallel workers started for a
    few hundred rows made the similarity lookup 32 ms instead of 7 (app.py). Set when connecting: no
    request asks for them."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("JIT and parallel workers are PostgreSQL's")
    assert db.session.scalar(db.text("SHOW jit")) == "off"
    assert db.session.scalar(db.text("SHOW max_parallel_workers_per_gather")) == "0"
