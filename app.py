"""The application factory and the `flask` CLI commands (run with `flask --app app ...`)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import click
from flask import Flask, current_app, g, jsonify, render_template, request, session
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import event, text
from sqlalchemy.exc import InterfaceError, OperationalError, PendingRollbackError

import config
from extensions import babel, csrf, db, limiter, login_manager, migrate

BASE_DIR = Path(__file__).resolve().parent
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'")


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(BASE_DIR / "instance"))
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(config.DEFAULTS)
    app.config.update(config.from_environment(app.instance_path))
    if overrides:
        app.config.update(overrides)
    app.config.setdefault("REDIS_URL", None)
    if not app.config["REDIS_URL"]:
        from services.redis_server import LOCAL_URL
        app.config["REDIS_URL"] = LOCAL_URL
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["APP_TIMEZONE"]
    if not app.config.get("MAX_CONTENT_LENGTH"):
        # A request bigger than an attachment plus its form gets a clear 413 page before it is read.
        app.config["MAX_CONTENT_LENGTH"] = app.config["ATTACHMENT_MAX_BYTES"] + 256 * 1024
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    if app.config.get("CLOCK_FILE") and not app.config.get("CLOCK"):
        from services.clock import FileClock
        app.config["CLOCK"] = FileClock(app.config["CLOCK_FILE"])

    init_extensions(app)
    init_blueprints(app)
    init_request_hooks(app)
    init_errors(app)
    init_templates(app)
    init_cli(app)
    return app


def init_extensions(app: Flask) -> None:
    import models  # noqa: F401  (the metadata must be complete before migrations look at it)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(BASE_DIR / "translations"))
    # One limiter for every rate-limited page, counting in Redis. Set before init_app, which reads
    # them once: when Redis fails, the limits count in memory, and an error of the limiter's own
    # never fails a page (it did: the second init_app of two kept the first one's "raise").
    app.config.setdefault("RATELIMIT_STORAGE_URI", _rate_limit_storage(app))
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str):
        from models import User
        user = db.session.get(User, int(user_id))
        return user if user is not None and user.active else None   # a disabled account is signed out at once

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            event.listen(db.engine, "connect", _sqlite_pragmas)


def _rate_limit_storage(app: Flask) -> str:
    """Redis shares the counts between all web processes; only tests without Redis count in memory."""
    from services.redis_server import answers
    if app.config.get("TESTING") and not answers(app.config["REDIS_URL"]):
        return "memory://"
    return app.config["REDIS_URL"]


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # The web processes and the worker share the file: WAL lets them read while one writes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def select_locale() -> str:
    languages = list(current_app.config["LANGUAGES"])
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if session.get("locale") in languages:
        return session["locale"]
    return languages[0]


def init_blueprints(app: Flask) -> None:
    from blueprints import ui
    app.url_map.converters["int"] = ui.DatabaseId   # before any route is added
    from blueprints.admin import bp as admin_bp
    from blueprints.attachments import bp as attachments_bp
    from blueprints.audit import bp as audit_bp
    from blueprints.auth import bp as auth_bp
    from blueprints.branch import bp as branch_bp
    from blueprints.center import bp as center_bp
    from blueprints.complaints import bp as complaints_bp
    from blueprints.department import bp as department_bp
    from blueprints.intake import bp as intake_bp
    from blueprints.notices import bp as notices_bp
    from blueprints.public import bp as public_bp
    from blueprints.ledger import bp as ledger_bp
    from blueprints.reports import bp as reports_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(intake_bp, url_prefix="/intake")
    app.register_blueprint(branch_bp, url_prefix="/branch")
    app.register_blueprint(department_bp, url_prefix="/department")
    app.register_blueprint(center_bp, url_prefix="/center")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(complaints_bp, url_prefix="/complaints")
    app.register_blueprint(attachments_bp, url_prefix="/attachments")
    app.register_blueprint(audit_bp, url_prefix="/audit")
    app.register_blueprint(notices_bp, url_prefix="/admin/notice-templates")
    app.register_blueprint(public_bp)   # the customer's pages: no login
    app.register_blueprint(ledger_bp, url_prefix="/ledger")
    app.register_blueprint(reports_bp, url_prefix="/reports")

    @app.get("/healthz")
    def healthz():
        from services.queue import redis_connection
        status = {}
        try:
            db.session.execute(text("SELECT 1"))
            status["db"] = "ok"
        except Exception as exc:  # report any failure, whatever the driver raises
            status["db"] = f"down: {type(exc).__name__}"
        try:
            redis_connection().ping()
            status["redis"] = "ok"
        except Exception as exc:
            status["redis"] = f"down: {type(exc).__name__}"
        healthy = all(value == "ok" for value in status.values())
        return jsonify(status), 200 if healthy else 503


def init_request_hooks(app: Flask) -> None:
    from blueprints.ui import check_page_number
    app.before_request(check_page_number)

    @app.before_request
    def keep_session_alive():
        # The cookie expires PERMANENT_SESSION_LIFETIME after the last request; the server-side
        # session (services/sessions.py, checked in blueprints/auth) enforces the timeouts.
        session.permanent = True

    @app.after_request
    def no_store_for_signed_in_pages(response):
        if current_user.is_authenticated and not request.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        # Own static files only: no inline script or style anywhere (htmx reads its config and
        # headers as JSON, without eval).
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


def init_errors(app: Flask) -> None:
    from services.complaints import ActionRefused, StaleComplaint

    from blueprints.ui import bounds_message
    from services.bounds import OutOfBounds

    def page(status: int, message: str | None = None):
        return render_template("error.html", status=status, message=message), status

    def server_error(error):
        # The app's own page in the user's language, never Werkzeug's; the transaction that failed
        # is rolled back first, so the page (the signed-in layout) can still read the database.
        current_app.logger.exception("server error", exc_info=getattr(error, "original_exception", error))
        try:
            db.session.rollback()
        except Exception:   # the page must render whatever broke
            pass
        return page(500)

    app.register_error_handler(400, lambda e: page(400))
    app.register_error_handler(403, lambda e: page(403))
    app.register_error_handler(404, lambda e: page(404))
    app.register_error_handler(405, lambda e: page(405))
    app.register_error_handler(413, lambda e: page(413))
    app.register_error_handler(429, lambda e: page(429))
    app.register_error_handler(503, lambda e: page(503))
    app.register_error_handler(ActionRefused, lambda e: page(403))
    app.register_error_handler(StaleComplaint, lambda e: page(409))
    app.register_error_handler(CSRFError, lambda e: page(400))
    app.register_error_handler(OutOfBounds, lambda e: page(400, bounds_message(e)))
    app.register_error_handler(500, server_error)
    for error in DATABASE_UNAVAILABLE:
        app.register_error_handler(error, database_unavailable)


# The database went away (restart, failover, network): the pool reconnects by itself (pool_pre_ping),
# meanwhile the user gets a page saying so. The transaction was never committed, so nothing is half-written.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, PendingRollbackError)


def database_unavailable(error):
    from flask_babel import force_locale
    from flask_login import AnonymousUserMixin
    current_app.logger.warning("database unavailable: %s", error)
    # Nothing on this page may touch the database: no signed-in user, the language from the session.
    g._login_user = AnonymousUserMixin()
    languages = list(current_app.config["LANGUAGES"])
    locale = session.get("locale") if session.get("locale") in languages else languages[0]
    with force_locale(locale):
        html = render_template("unavailable.html", lang="zh-CN" if locale.startswith("zh") else "en")
    return html, 503, {"Retry-After": "10", "Cache-Control": "no-store"}


def init_templates(app: Flask) -> None:
    from blueprints import ui
    app.jinja_env.globals.update(ui.template_globals())
    app.jinja_env.filters.update(ui.template_filters())
    app.context_processor(lambda: {"locale": ui.current_locale()})


def init_cli(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--history", is_flag=True, help="also four months of handled complaints, for the statistics")
    def seed_demo_command(history: bool):
        """Create the demo organisation and accounts (idempotent)."""
        from services.demo import seed_demo
        created = seed_demo()
        click.echo("demo data created" if created else "demo data already present")
        if history:
            from services.demo_history import seed_history
            click.echo(f"{seed_history()} complaints of demo history added")

    @app.cli.command("bench-data")
    @click.option("--complaints", "count", default=100_000, type=int, help="how many complaints to add")
    def bench_data_command(count: int):
        """Add COUNT realistic complaints (states, dates over 3 years, deadlines, timelines) in bulk."""
        import time

        from services.benchdata import generate
        started = time.perf_counter()
        written = generate(count)
        click.echo(f"{written} in {time.perf_counter() - started:.1f} s")

    @app.cli.command("backup")
    @click.option("--to", "destination", default=lambda: os.path.join(app.instance_path, "backups"),
                  type=click.Path(file_okay=False), help="folder to write the backup into")
    def backup_command(destination: str):
        """Back up the database and the attachments folder into a new folder under --to."""
        from services.backup import BackupError, backup
        try:
            folder = backup(Path(destination))
        except BackupError as error:
            raise click.ClickException(str(error))
        click.echo(f"backup written to {folder}")

    @app.cli.command("restore")
    @click.argument("folder", type=click.Path(exists=True, file_okay=False))
    @click.option("--yes", is_flag=True, help="do not ask for confirmation")
    def restore_command(folder: str, yes: bool):
        """Replace the database and the attachments folder with those of a backup FOLDER."""
        from services.backup import BackupError, restore
        if not yes:
            click.confirm(f"Replace the database and attachments with the backup in {folder}?", abort=True)
        try:
            manifest = restore(Path(folder))
        except BackupError as error:
            raise click.ClickException(str(error))
        click.echo(f"restored the backup of {manifest['created_at']} ({manifest['complaints']} complaints)")

    @app.cli.command("serve")
    @click.option("--port", default=lambda: int(os.environ.get("PORT", "5000")), type=int)
    @click.option("--web-workers", default=2, type=int)
    def serve_command(port: int, web_workers: int):
        """Migrate, seed when empty, start Redis (if needed), a mail sink (if needed), the worker
        and the web server; Ctrl-C stops everything started here."""
        from flask_migrate import upgrade

        from services.demo import seed_demo
        from services.redis_server import ensure_redis
        upgrade(directory=str(BASE_DIR / "migrations"))
        if seed_demo():
            click.echo("Loaded the demo organisation (accounts in README.md).")
        children: list[subprocess.Popen] = []
        redis_url, redis_process = ensure_redis(app.instance_path)
        if redis_process:
            children.append(redis_process)
            click.echo(f"Started an embedded redis-server at {redis_url}")
        env = dict(os.environ, REDIS_URL=redis_url)
        mail_sink = _start_mail_sink(app)
        if mail_sink:
            children.append(mail_sink)
        children.append(subprocess.Popen([sys.executable, str(BASE_DIR / "worker.py")], env=env, cwd=BASE_DIR))
        web = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(web_workers),
                                "-b", f"127.0.0.1:{port}", "app:create_app()"], env=env, cwd=BASE_DIR)
        children.append(web)
        click.echo(f"Serving on http://127.0.0.1:{port}  (Ctrl-C stops)")
        try:
            web.wait()
        except KeyboardInterrupt:
            pass
        finally:
            for child in reversed(children):
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()


def _start_mail_sink(app: Flask) -> subprocess.Popen | None:
    """With the default MAIL_SERVER and nothing listening there, keep mail in instance/mail/."""
    import socket
    if os.environ.get("MAIL_SERVER"):
        return None
    port = app.config["MAIL_PORT"]
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", port)) == 0:
            return None
    maildir = Path(app.instance_path) / "mail"
    click.echo(f"No SMTP server configured: mail goes to the Maildir {maildir}")
    return subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                             "-c", "aiosmtpd.handlers.Mailbox", str(maildir)], cwd=BASE_DIR)

