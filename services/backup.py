"""Backup and restore of everything the application keeps: the database (pg_dump/pg_restore for
PostgreSQL, SQLite's online backup API for SQLite) and the attachments folder (a tar archive).
A backup is one folder: database.dump or database.sqlite3, attachments.tar.gz, manifest.json."""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from datetime import datetime, timezone
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.engine import URL, make_url

from extensions import db
from models import Complaint


class BackupError(Exception):
    pass


def _database_url() -> URL:
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _libpq(url: URL) -> tuple[str, dict]:
    """The URL for pg_dump/pg_restore, and the environment carrying the password (not the command line)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (apt-get install postgresql-client)")
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[-2000:]}")


def attachments_dir() -> Path:
    return Path(current_app.config["ATTACHMENTS_DIR"])


def backup(destination: Path) -> Path:
    """Write a new backup folder under `destination` and return it."""
    url = _database_url()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    folder = destination / f"backup-{stamp}"
    folder.mkdir(parents=True)
    if url.get_backend_name() == "postgresql":
        target, env = _libpq(url)
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
              "--file", str(folder / "database.dump"), target], env)
    elif url.get_backend_name() == "sqlite":
        source = sqlite3.connect(url.database)
        copy = sqlite3.connect(folder / "database.sqlite3")
        with copy:
            source.backup(copy)       # consistent even while the app writes
        copy.close()
        source.close()
    else:
        raise BackupError(f"no backup for {url.get_backend_name()} databases")
    with tarfile.open(folder / "attachments.tar.gz", "w:gz") as archive:
        if attachments_dir().is_dir():
            archive.add(attachments_dir(), arcname="attachments")
    complaints = db.session.scalar(select(func.count()).select_from(Complaint))
    (folder / "manifest.json").write_text(json.dumps(
        {"created_at": stamp, "database": url.get_backend_name(), "complaints": complaints}, indent=2))
    return folder


def restore(folder: Path) -> dict:
    """Replace the database and the attachments folder with the backup's. Returns its manifest."""
    manifest = json.loads((folder / "manifest.json").read_text())
    url = _database_url()
    if manifest["database"] != url.get_backend_name():
        raise BackupError(f"this backup is of a {manifest['database']} database")
    db.session.remove()
    db.engine.dispose()               # no connection of ours holds the old data
    if url.get_backend_name() == "postgresql":
        target, env = _libpq(url)
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
              "--dbname", target, str(folder / "database.dump")], env)
    else:
        source = sqlite3.connect(folder / "database.sqlite3")
        live = sqlite3.connect(url.database)
        with live:
            source.backup(live)
        live.close()
        source.close()
    attachments = attachments_dir()
    staging = attachments.with_name(attachments.name + ".restoring")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with tarfile.open(folder / "attachments.tar.gz") as archive:
        archive.extractall(staging, filter="data")     # no absolute paths, no links out of the folder
    shutil.rmtree(attachments, ignore_errors=True)
    restored = staging / "attachments"
    if restored.is_dir():
        restored.rename(attachments)
    else:
        attachments.mkdir(parents=True)
    shutil.rmtree(staging)
    return manifest
