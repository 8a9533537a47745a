"""flask backup / flask restore: a backup of a database with complaints and attachments, restored
into an empty database and an empty attachments folder, has every complaint and every file."""
import shutil

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from app import create_app
from extensions import db
from models import Complaint
from tests.helpers import register


def empty_database(database_url: str, tmp_path) -> str:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    name = f"{url.database}_restore"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def test_a_backup_restored_into_an_empty_database_has_every_complaint_and_attachment(app, client_for, tmp_path):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") and not shutil.which("pg_dump"):
        pytest.skip("pg_dump is not installed")
    app.config["ATTACHMENTS_DIR"] = str(tmp_path / "attachments")
    (tmp_path / "attachments" / "2026" / "11").mkdir(parents=True)
    (tmp_path / "attachments" / "2026" / "11" / "receipt.pdf").write_bytes(b"%PDF-1.4 receipt")
    staff = client_for("staff1")
    numbers = sorted(register(staff, customer_name=f"客户{n}").number for n in range(3))

    result = app.test_cli_runner().invoke(args=["backup", "--to", str(tmp_path / "backups")])
    assert result.exit_code == 0, result.output
    folder = next((tmp_path / "backups").iterdir())

    target_url = empty_database(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path)
    restored_app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": target_url,
                               "ATTACHMENTS_DIR": str(tmp_path / "restored-attachments"),
                               "REDIS_URL": app.config["REDIS_URL"]})
    with restored_app.app_context():     # the command runs in the current app: the restored one
        result = restored_app.test_cli_runner().invoke(args=["restore", str(folder), "--yes"])
        assert result.exit_code == 0, result.output
        assert "3 complaints" in result.output
        assert sorted(db.session.scalars(select(Complaint.number))) == numbers
        db.session.remove()
        db.engine.dispose()
    assert (tmp_path / "restored-attachments" / "2026" / "11" / "receipt.pdf").read_bytes() == b"%PDF-1.4 receipt"


def test_restore_refuses_a_backup_of_another_kind_of_database(app, tmp_path):
    folder = tmp_path / "backup"
    folder.mkdir()
    other = "sqlite" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") else "postgresql"
    (folder / "manifest.json").write_text(f'{{"database": "{other}", "created_at": "x", "complaints": 0}}')
    result = app.test_cli_runner().invoke(args=["restore", str(folder), "--yes"])
    assert result.exit_code != 0 and f"backup is of a {other} database" in result.output
