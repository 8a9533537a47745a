import json

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine

from extensions import db
from tests.conftest import Client


def test_healthz_reports_db_and_redis(app):
    response = Client(app).get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.text) == {"db": "ok", "redis": "ok"}


def test_healthz_names_what_is_down(app):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    app.extensions.pop("redis", None)
    response = Client(app).get("/healthz")
    assert response.status_code == 503
    body = json.loads(response.text)
    assert body["db"] == "ok" and body["redis"].startswith("down")


def test_migrations_build_exactly_the_models_schema(app, tmp_path):
    """`flask db upgrade` on an empty database gives the schema the models describe."""
    if db.engine.dialect.name == "postgresql":
        url = db.engine.url.render_as_string(hide_password=False)
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA IF EXISTS migration_check CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA migration_check")
        url_for_check = url + ("&" if "?" in url else "?") + "options=-csearch_path%3Dmigration_check"
    else:
        url_for_check = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    from app import create_app
    migrated = create_app({"SQLALCHEMY_DATABASE_URI": url_for_check, "REDIS_URL": app.config["REDIS_URL"]})
    with migrated.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        db.engine.dispose()
    assert diff == []
    if db.engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA migration_check CASCADE")
        engine.dispose()
