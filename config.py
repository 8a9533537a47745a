"""Configuration: defaults here, overridden by environment variables, then by a test dict."""
import os
import secrets
from datetime import timedelta
from pathlib import Path


# The languages offered, each by its own name; the first is the default.
LANGUAGES = {"zh_CN": "中文", "en": "English"}


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
        "REDIS_SENTINELS": env.get("REDIS_SENTINELS"),          # "host:26379,host2:26379" for HA
        "REDIS_SENTINEL_MASTER": env.get("REDIS_SENTINEL_MASTER", "mymaster"),
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
        # Shared office PCs: signed out after this many idle minutes, and after this many hours in any case.
        "SESSION_IDLE_MINUTES": int(env.get("SESSION_IDLE_MINUTES", "15")),
        "SESSION_ABSOLUTE_HOURS": int(env.get("SESSION_ABSOLUTE_HOURS", "10")),
        # 1: the demo accounts (README) keep the known password; 0: whoever first signs in to a
        # seeded account must choose a new password (for a real deployment seeded by `serve`).
        "DEMO_ACCOUNTS": _bool(env.get("DEMO_ACCOUNTS"), default=True),
        # Printed on the decision notice and the handling form.
        "ORGANISATION_NAME": env.get("ORGANISATION_NAME") or None,   # else the profile's name
        # How notices reach customers by SMS: "logging" (written to the log) until a provider is configured.
        # "aliyun" (Alibaba Cloud SMS), "tencent" (Tencent Cloud SMS) or "http" (a signed POST to the
        # bank's own SMS platform); docs/operations.md, section SMS.
        "SMS_GATEWAY": env.get("SMS_GATEWAY", "logging"),
        "SMS_ACCESS_KEY_ID": env.get("SMS_ACCESS_KEY_ID", ""),
        "SMS_ACCESS_KEY_SECRET": env.get("SMS_ACCESS_KEY_SECRET", ""),
        "SMS_SIGN_NAME": env.get("SMS_SIGN_NAME", ""),             # the registered signature, e.g. 示范银行
        "SMS_SDK_APP_ID": env.get("SMS_SDK_APP_ID", ""),           # Tencent: the SMS application's SdkAppId
        "SMS_REGION": env.get("SMS_REGION", ""),                   # Tencent: ap-guangzhou unless set
        "SMS_ENDPOINT": env.get("SMS_ENDPOINT", ""),               # empty: the provider's public endpoint
        "SMS_PROTOCOL": env.get("SMS_PROTOCOL", "https"),
        "SMS_HTTP_URL": env.get("SMS_HTTP_URL", ""),
        "SMS_HTTP_SECRET": env.get("SMS_HTTP_SECRET", ""),
        "SMS_TIMEOUT": float(env.get("SMS_TIMEOUT", "5")),         # seconds per message
        # Where users reach the app; links in e-mails point here.
        "PUBLIC_URL": env.get("PUBLIC_URL", f"http://127.0.0.1:{env.get('PORT', '5000')}").rstrip("/"),
        # How many proxies in front of the app set X-Forwarded-For/-Proto. 0: trust no such header,
        # so the address in the audit is the connection's and cannot be forged by a client.
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", "0")),
        # Evidence files: outside static/, served only through the authorised view; backed up and
        # restored with the database (flask backup / restore).
        "ATTACHMENTS_DIR": env.get("ATTACHMENTS_DIR") or str(Path(instance_path) / "attachments"),
        "ATTACHMENT_MAX_BYTES": int(env.get("ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024))),
        # Dotted path of a function(data: bytes, filename: str) raising services.errors.Refused;
        # empty: no scan. Called before a file is stored.
        "ATTACHMENT_SCANNER": env.get("ATTACHMENT_SCANNER", ""),
        # Complaints by e-mail (services/mail_receiver.py, `flask --app app mail-intake`): the mail
        # server forwards mail for these addresses (comma-separated; empty: any) to this SMTP/LMTP port.
        "MAIL_INTAKE_ADDRESSES": [a.strip().lower() for a in env.get(
            "MAIL_INTAKE_ADDRESSES", env.get("MAIL_DEFAULT_SENDER", "complaints@localhost")).split(",") if a.strip()],
        "MAIL_INTAKE_HOST": env.get("MAIL_INTAKE_HOST", "127.0.0.1"),
        "MAIL_INTAKE_PORT": int(env.get("MAIL_INTAKE_PORT", "8024")),
        "MAIL_INTAKE_MAX_BYTES": int(env.get("MAIL_INTAKE_MAX_BYTES", str(25 * 1024 * 1024))),
        "MAIL_INTAKE_CATEGORY": env.get("MAIL_INTAKE_CATEGORY", "other"),   # until the center assesses it
        # Similar complaints (services.similarity): how alike two texts must be (0-1, docs/similarity.md),
        # and how far back a complaint page looks for them.
        "SIMILARITY_THRESHOLD": float(env.get("SIMILARITY_THRESHOLD", "0.3")),
        "SIMILAR_WINDOW_DAYS": int(env.get("SIMILAR_WINDOW_DAYS", "30")),
        # The early warning (services.waves): this many similar complaints within the window, from as
        # many customers or from 2 units or channels at least, alert the service center.
        "WAVE_WINDOW_HOURS": float(env.get("WAVE_WINDOW_HOURS", "2")),
        "WAVE_MIN_COMPLAINTS": int(env.get("WAVE_MIN_COMPLAINTS", "5")),
        # The repeat rule (3 customers → major) also counts complaints of the same category written at
        # least this alike (0-1), until an administrator sets it (管理 → 重复投诉规则); 0: the same object only.
        "REPEAT_SIMILARITY": float(env.get("REPEAT_SIMILARITY", "0.4")),
    }


DEFAULTS = {
    # No pool_pre_ping: a connection is checked before use only after it lay idle (services.sql.ping_when_idle).
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    "BABEL_DEFAULT_LOCALE": "zh_CN",
    "BABEL_DEFAULT_TIMEZONE": "UTC",
    "LANGUAGES": LANGUAGES,
    # Shared office PCs: no persistent "remember me" cookie, and the session cookie is a browser-session
    # one (no Expires), gone when the browser closes; the server-side session (services/sessions.py)
    # ends an idle or too long sign-in.
    "SESSION_WARNING_MINUTES": 2,      # the "stay signed in?" warning shows this long before the idle end
    "SESSION_POLL_SECONDS": 30,        # how often an open page asks whether its session is about to end
    # Failed sign-ins (Flask-Limiter, in Redis): per account name, and per client address.
    "LOGIN_LIMIT_PER_ACCOUNT": "5 per 15 minutes",
    "LOGIN_LIMIT_PER_ADDRESS": "30 per 15 minutes",
    # The last 15 minutes, whenever one asks: Flask-Limiter's default fixed window restarts its count
    # at every quarter hour, so 5 guesses before it and 5 after passed, and a test crossing one failed.
    "RATELIMIT_STRATEGY": "moving-window",
    "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 1},
    # Redis down: count in the process's memory meanwhile rather than fail every sign-in.
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
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
    "SMTP_TIMEOUT": 10,
    # The public complaint form and tracking page (blueprints/public): limits per client address.
    "PUBLIC_COMPLAINT_LIMIT": "5 per hour;20 per day",
    "PUBLIC_TRACK_LIMIT": "20 per 10 minutes",
    "API_RATE_LIMIT": "120 per minute",             # per channel key (per address without a valid key)
    "TRACK_LINK_MAX_AGE": timedelta(hours=48),   # the one-time link to the tracking page
    "WEB_COMPLAINT_LEVEL": 3,                     # the center re-levels when it assesses
    "PUBLIC_MAX_UPLOAD": 512 * 1024,              # a public form's text, in bytes; /complain adds its files:
    "PUBLIC_MAX_FILES": 3,                        # evidence files on the complaint form, each ATTACHMENT_MAX_BYTES
    # Ledger exports up to this many rows download at once; larger ones are an RQ job whose file
    # (under instance/exports unless LEDGER_EXPORT_DIR says otherwise) is kept this long.
    "LEDGER_EXPORT_SYNC_ROWS": 2000,
    "LEDGER_EXPORT_TTL": timedelta(hours=1),
    "REDIS_CONNECT_TIMEOUT": 0.3,
    "MAIL_INTAKE_MAX_FILES": 10,        # attached files kept from one e-mail
    "MAIL_INTAKE_MAX_RECEIVED": 30,     # more Received headers than this: a mail loop
}
