"""Flask extensions, created unbound here and bound to the app in create_app()."""
import functools

from babel import Locale
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


@functools.cache
def parsed_locale(code: str) -> Locale:
    """A language code as Babel's Locale, parsed once per process: Babel parses "zh_CN" by listing its
    locale data files, which cost about a millisecond on every page and every e-mail."""
    return Locale.parse(code)
# Rate limits (login, public forms), counted in Redis: REDIS_URL, set in create_app().
limiter = Limiter(key_func=get_remote_address)


def savepoint():
    """db.session.begin_nested() that holds on SQLite too. Python's sqlite3 starts a transaction
    only before a write, and a SAVEPOINT outside one is a transaction of its own, which its
    RELEASE commits: the rest of the caller's transaction could then no longer undo it."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN")
    return db.session.begin_nested()
