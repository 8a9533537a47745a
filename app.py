"""The application factory: settings, then one init_* step per concern. The `flask` commands are in cli.py."""
from __future__ import annotations

import os
from pathlib import Path

from babel import Locale
from flask import Flask, current_app, g, render_template, request, session
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.exc import InterfaceError, OperationalError, PendingRollbackError

import config
from cli import init_cli
from extensions import TemplateEnvironment, babel, csrf, db, limiter, login_manager, migrate, parsed_locale

BASE_DIR = Path(__file__).resolve().parent
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'")


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(BASE_DIR / "instance"))
    app.jinja_environment = TemplateEnvironment
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

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = _connection_settings(app.config["SQLALCHEMY_ENGINE_OPTIONS"],
                                                                       app.config["SQLALCHEMY_DATABASE_URI"])
    init_extensions(app)
    init_blueprints(app)
    init_request_hooks(app)
    init_errors(app)
    init_templates(app)
    init_cli(app)
    return app


def _connection_settings(engine_options: dict, url: str) -> dict:
    """The engine's options with PostgreSQL's JIT and parallel workers off, added to the connection
    options the address may carry already (a search_path, say), so no request spends a round trip on
    them. JIT: PostgreSQL compiles any statement it counts dear, and it counts some of ours so that
    read for a millisecond: at 1,000,000 complaints the compiling took 300 ms of the center's counts
    on every page and 5 ms of the similarity lookup of every registration. Parallel workers: the
    statements read a few hundred rows, where starting workers costs more than the reading (the
    center's counts: 64 ms with them, 22 without; the similarity lookup 32 ms, 7 without), and the
    cores serve the other requests; the reports and searches, which aggregate months, ask for them
    (services.sql.plan_for_the_values)."""
    from sqlalchemy.engine import make_url
    connect_args = {**engine_options.get("connect_args", {})}
    given = connect_args.get("options") or make_url(url).query.get("options", "")
    given = " ".join(given) if isinstance(given, tuple) else given
    connect_args["options"] = f"{given} -c jit=off -c max_parallel_workers_per_gather=0".strip()
    return {**engine_options, "connect_args": connect_args}


def init_extensions(app: Flask) -> None:
    import models  # noqa: F401  (the metadata must be complete before migrations look at it)
    import services.customer  # noqa: F401  (connects the customer's notices to the transitions' signals)
    from extensions import install_gettext

    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(BASE_DIR / "translations"))
    install_gettext(app.jinja_env)   # after babel's: the templates' strings through the request's catalogue
    # One limiter for every rate-limited page, counting in Redis. Set before init_app, which reads
    # them once: when Redis fails, the limits count in memory, and an error of the limiter's own
    # never fails a page (it did: the second init_app of two kept the first one's "raise").
    app.config.setdefault("RATELIMIT_STORAGE_URI", _rate_limit_storage(app))
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    # "basic": a request from another address or browser string only marks the sign-in not fresh.
    # (Flask-Login's "strong" would sign out at every address change of a non-permanent session, and
    # the session cookie is not permanent; ending sign-ins is the server-side session's job.)
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str):
        from services.sessions import signed_in_user
        user = signed_in_user(int(user_id), session.get("sid"))
        return user if user is not None and user.active else None   # a disabled account is signed out at once

    with app.app_context():
        from services.sql import ping_when_idle
        ping_when_idle(db.engine)
        if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
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


def select_locale() -> Locale:
    languages = list(current_app.config["LANGUAGES"])
    user = current_user._get_current_object()
    if user and user.is_authenticated and user.locale in languages:
        return parsed_locale(user.locale)
    if session.get("locale") in languages:
        return parsed_locale(session["locale"])
    return parsed_locale(languages[0])


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
    from blueprints.health import bp as health_bp
    from blueprints.intake import bp as intake_bp
    from blueprints.notices import bp as notices_bp
    from blueprints.penalties import bp as penalties_bp
    from blueprints.periodic import bp as periodic_bp
    from blueprints.public import bp as public_bp
    from blueprints.api import bp as api_bp
    from blueprints.ledger import bp as ledger_bp
    from blueprints.reports import bp as reports_bp
    from blueprints.statistics_sheet import bp as statistics_sheet_bp
    from blueprints.work import bp as work_bp
    from blueprints.surveys import bp as surveys_bp

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
    app.register_blueprint(statistics_sheet_bp, url_prefix="/sheet")   # the manufacturer's 投诉统计表
    app.register_blueprint(penalties_bp, url_prefix="/penalties")
    app.register_blueprint(periodic_bp, url_prefix="/periodic")   # where the profile keeps periodic reports
    app.register_blueprint(work_bp, url_prefix="/work")
    app.register_blueprint(surveys_bp)   # /surveys/ for the center, /survey/<token> for the customer
    app.register_blueprint(health_bp)   # /healthz: no login
    app.register_blueprint(api_bp, url_prefix="/api/v1")   # the channels' API: keys, no session, no CSRF


def init_request_hooks(app: Flask) -> None:
    from blueprints.ui import check_page_number, read_marked_pages_in_autocommit
    from services.sql import plan_for_the_values, roll_back_keeping_prepared_statements
    # First of all: before any hook reads the database (the sign-in check, the rate limiter's key).
    app.before_request_funcs.setdefault(None, []).insert(0, read_marked_pages_in_autocommit)
    app.before_request(check_page_number)
    app.teardown_appcontext(roll_back_keeping_prepared_statements)   # runs before Flask-SQLAlchemy's
    for searching in ("ledger", "reports", "statistics_sheet", "periodic", "audit"):
        app.before_request_funcs.setdefault(searching, []).append(plan_for_the_values)

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
    from services.complaints import StaleComplaint
    from services.errors import Refused

    from blueprints.ui import bounds_message
    from services.bounds import OutOfBounds

    def page(status: int, message: str | None = None):
        if request.path.startswith("/api/"):   # the channels' API answers JSON, even outside its routes
            from blueprints.api.errors import error_response
            return error_response(status)
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
    app.register_error_handler(Refused, lambda e: page(403))
    app.register_error_handler(StaleComplaint, lambda e: page(409))
    app.register_error_handler(CSRFError, lambda e: page(400))
    app.register_error_handler(OutOfBounds, lambda e: page(400, bounds_message(e)))
    app.register_error_handler(500, server_error)
    for error in DATABASE_UNAVAILABLE:
        app.register_error_handler(error, database_unavailable)


# The database went away (restart, failover, network): the pool reconnects by itself (sql.ping_when_idle),
# meanwhile the user gets a page saying so. The transaction was never committed, so nothing is half-written.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, PendingRollbackError)


def database_unavailable(error):
    from flask_babel import force_locale
    from flask_login import AnonymousUserMixin
    current_app.logger.warning("database unavailable: %s", error)
    if request.path.startswith("/api/"):
        from blueprints.api.errors import error_response
        response = error_response(503)
        response.headers.update({"Retry-After": "10", "Cache-Control": "no-store"})
        return response
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
