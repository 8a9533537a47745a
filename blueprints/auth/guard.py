"""Checked before every request: the server-side session is alive (else: signed out, back to the
login page with the reason) and an initial or reset password has been changed."""
from __future__ import annotations

from flask import abort, current_app, flash, g, make_response, redirect, request, session, url_for
from flask_babel import refresh
from flask_login import current_user, logout_user

from blueprints.auth import bp
from blueprints.ui import is_htmx
from extensions import db, gettext as _, login_manager
from services.sessions import check_session, end_session

# What a user who must change the password can still reach.
WITHOUT_PASSWORD_CHANGE = {"auth.change_password", "auth.login", "auth.logout", "auth.switch_user", "auth.language",
                           "auth.session_status", "auth.session_keepalive", "static", "health.healthz"}


# What an open page asks by itself: its session's status, and the navigation's counts (待我处理).
POLLS = {"auth.session_status", "work.counts"}


def go_to(url: str):
    """A redirect that also works for HTMX requests (htmx would otherwise swap the page into a fragment)."""
    if is_htmx():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, 303 if request.method == "POST" else 302)


def sign_out() -> None:
    """End the server-side session and clear the cookie's, the language with it: on a shared PC the
    next person gets the sign-in page in the organisation's language, not the last user's."""
    end_session(session.get("sid"))
    db.session.commit()
    logout_user()
    session.clear()
    refresh()   # this request's messages (the flash after signing out) in that language too


@bp.before_app_request
def enforce_session():
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    # The page's own polls must not count as activity, or an open page would never time out.
    state = check_session(session.get("sid"), current_user.id, activity=request.endpoint not in POLLS)
    if state.wrote:
        db.session.commit()
    if not state.alive:
        sign_out()
        config = current_app.config
        messages = {
            "idle": _("You were signed out after %(minutes)s minutes without activity. Please sign in again.",
                      minutes=config["SESSION_IDLE_MINUTES"]),
            "absolute": _("You were signed out: a session lasts at most %(hours)s hours. Please sign in again.",
                          hours=config["SESSION_ABSOLUTE_HOURS"]),
            "ended": _("Your session has ended. Please sign in again."),
        }
        flash(messages[state.reason], "info")
        return go_to(url_for("auth.login"))
    g.session_state = state
    if current_user.must_change_password and request.endpoint not in WITHOUT_PASSWORD_CHANGE:
        return go_to(url_for("auth.change_password"))
    return None


@bp.before_app_request
def refuse_nul_characters():
    """No form or query string has a use for NUL characters, and PostgreSQL cannot take them in text
    (not even to compare): 400, not 500."""
    if any("\x00" in value for values in request.args.listvalues() for value in values):
        abort(400)
    if request.method == "POST" and any("\x00" in value for values in request.form.listvalues() for value in values):
        abort(400)


@login_manager.unauthorized_handler
def to_login():
    return go_to(url_for("auth.login"))
