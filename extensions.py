"""Flask extensions, created unbound here and bound to the app in create_app()."""
import collections
import functools

from babel import Locale
from babel.support import NullTranslations
from flask import g
from flask_babel import Babel, get_locale, get_translations
from flask_babel.speaklater import LazyString
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from flask.templating import Environment as FlaskEnvironment
from jinja2 import pass_eval_context
from markupsafe import Markup
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


def translations() -> NullTranslations:
    """The catalogue of this request's language, found once a request. flask_babel looks the locale
    and the catalogue up again for every string (nine context-local lookups each, hundreds of
    strings a page); the one it found is kept beside the locale it chose (`g._flask_babel`), where
    flask_babel's refresh() and force_locale() (an e-mail in the customer's language) reset it."""
    try:
        found = g._flask_babel.babel_translations
    except (AttributeError, RuntimeError):   # not looked up yet in this request; or no app at all
        found = None
    if found is None:
        found = get_translations()   # flask_babel's: selects the locale, makes g._flask_babel
        if g:
            g._flask_babel.babel_translations = found
    return found


def locale_code() -> str:
    """The request's language as a code (zh_Hans_CN, en): str(flask_babel.get_locale()) without its
    lookups, which a list page made for every row."""
    try:
        locale = g._flask_babel.babel_locale
    except (AttributeError, RuntimeError):
        locale = None
    return _code(locale if locale is not None else get_locale())


@functools.cache
def _code(locale: Locale | None) -> str:
    return str(locale)


# The app's gettext functions (as flask_babel's, through translations()): `_`, `_l` and ngettext.
def gettext(string: str, **variables) -> str:
    text = translations().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    return translations().ungettext(singular, plural, num) % variables


def lazy_gettext(string: str, **variables) -> LazyString:
    """A label translated when shown, in the language of the request showing it."""
    return LazyString(gettext, string, **variables)


def install_gettext(jinja_env) -> None:
    """The templates' _() and ngettext() through translations() too (flask_babel installs its own)."""
    jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n), newstyle=True)
    # `_()` straight to the catalogue. Jinja's `_` looks `gettext` up in the context and calls it,
    # which calls the function above: three calls through the context for each string, about 50 a
    # page. This does what that newstyle `gettext` does, in one.
    jinja_env.globals["_"] = _template_gettext


class _TemplateGlobals(collections.ChainMap):
    """A template's globals: its own before the environment's, as Jinja keeps them, with keys() as
    a dict's. Jinja subtracts these keys from the page's at every {% import %} / {% from %}, and
    a ChainMap's KeysView does that in Python, a look through every map for each of some 70 names:
    54 µs an import, against 2 µs this way (a complaint page imports macros a dozen times)."""

    def keys(self):
        merged = {}
        for names in reversed(self.maps):
            merged.update(names)
        return merged.keys()


class TemplateEnvironment(FlaskEnvironment):
    """Flask's Jinja environment, its templates' globals _TemplateGlobals (app.jinja_environment)."""

    def make_globals(self, d):
        return _TemplateGlobals(d or {}, self.globals)


@pass_eval_context
def _template_gettext(eval_context, string: str, **variables):
    """Jinja's newstyle gettext: translated, safe in an autoescaped template, always %-formatted."""
    text = translations().ugettext(string)
    if eval_context.autoescape:
        text = Markup(text)
    return text % variables


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
