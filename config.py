"""Configuration: defaults here, overridden by environment variables, then by a test dict."""
import os
import secrets
from datetime import timedelta
from pathlib import Path


def _instance_secret(instance_path: str) -> str:
    """A secret key generated once and kept under instance/, so sessions survive restarts."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def from_environment(instance_path: str) -> dict:
    env = os.environ
    return {
        "SECRET_KEY": env.get("SECRET_KEY") or _instance_secret(instance_path),
        "SQLALCHEMY_DATABASE_URI": env.get("DATABASE_URL")
        or f"sqlite:///{Path(instance_path) / 'complaints.sqlite3'}",
        # None means: the embedded/local Redis found by services.redis_server at start-up.
        "REDIS_URL": env.get("REDIS_URL"),
        "MAIL_SERVER": env.get("MAIL_SERVER", "localhost"),
        "MAIL_PORT": int(env.get("MAIL_PORT", "8025")),
        "MAIL_USERNAME": env.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD"),
        "MAIL_USE_TLS": _bool(env.get("MAIL_USE_TLS")),
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER", "complaints@localhost"),
        "APP_TIMEZONE": env.get("APP_TIMEZONE", "Asia/Shanghai"),
        # Behind TLS, set SESSION_COOKIE_SECURE=1 so the session cookie never travels in clear.
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE")),
        # Tests of several processes move their common time through this file (services.clock.FileClock).
        "CLOCK_FILE": env.get("APP_CLOCK_FILE"),
        # Printed on the decision notice and the handling form.
        "ORGANISATION_NAME": env.get("ORGANISATION_NAME", "示范银行股份有限公司"),
        # Where users reach the app; links in e-mails point here.
        "PUBLIC_URL": env.get("PUBLIC_URL", f"http://127.0.0.1:{env.get('PORT', '5000')}").rstrip("/"),
    }


DEFAULTS = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "BABEL_DEFAULT_LOCALE": "zh_CN",
    "BABEL_DEFAULT_TIMEZONE": "UTC",
    "LANGUAGES": {"zh_CN": "中文", "en": "English"},
    # Shared office PCs: short idle sessions, no persistent "remember me" cookie.
    "PERMANENT_SESSION_LIFETIME": timedelta(minutes=15),
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_DURATION": timedelta(seconds=0),
    "WTF_CSRF_TIME_LIMIT": None,  # the session lifetime bounds the token already
    "PAGE_SIZE": 20,
    # Working calendar (business time zone): 09:00-17:00 on Chinese working days.
    "WORKDAY_START": "09:00",
    "WORKDAY_END": "17:00",
    # Deadline rules: services/rules.py holds the defaults; the administrator overrides them.
    "EXTENSION_DAYS": 30,        # the regulatory ceiling: to 30 days from receipt, then 30 more
    "REVIEW_DAYS": 30,           # 核查 may be asked within 30 days of the decision
    # The same object and category from 3+ different complainants within this window is major.
    "REPEAT_WINDOW_DAYS": 30,
    # How long before a deadline the assignee gets a reminder, per deadline kind.
    "REMINDER_LEAD": {"dispatch": timedelta(minutes=10), "answer": timedelta(days=1),
                      "first_response": timedelta(minutes=15), "resolution": timedelta(hours=4),
                      "return_visit": timedelta(hours=4), "final_decision": timedelta(days=3),
                      "progress": timedelta(0), "review": timedelta(days=3), "registration": timedelta(0),
                      "plan_approval": timedelta(hours=2)},
    "SMTP_TIMEOUT": 10,
    # Ledger exports up to this many rows download at once; larger ones are an RQ job whose file
    # (under instance/exports unless LEDGER_EXPORT_DIR says otherwise) is kept this long.
    "LEDGER_EXPORT_SYNC_ROWS": 2000,
    "LEDGER_EXPORT_TTL": timedelta(hours=1),
    "REDIS_CONNECT_TIMEOUT": 0.3,
}
