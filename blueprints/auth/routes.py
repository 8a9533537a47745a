from datetime import timedelta

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user
from sqlalchemy import select

from blueprints.auth import bp
from blueprints.auth.forms import LanguageForm, LoginForm, PasswordForm
from blueprints.auth.guard import sign_out
from blueprints.ui import home_url, reads_only
from extensions import db, gettext as _, limiter
from models import User
from services import clock
from services.passwords import check_sign_in, password_problems
from services.sessions import end_other_sessions, start_session


@bp.get("/")
@login_required
def home():
    return redirect(home_url(current_user))


def _account_key() -> str:
    return "account:" + request.form.get("username", "").strip().lower()[:64]


def _failed(response) -> bool:
    """Only failed sign-ins count towards the limits; a successful one redirects."""
    return response.status_code != 303


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], key_func=_account_key,
               methods=["POST"], deduct_when=_failed, exempt_when=lambda: not _account_key()[8:])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"], deduct_when=_failed)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.username == form.username.data.strip()))
        if check_sign_in(user, form.password.data):
            session.clear()   # a fresh session for every sign-in on a shared PC
            login_user(user, remember=False)
            session["sid"] = start_session(user, request.remote_addr)
            session["locale"] = user.locale   # so pages shown without the database still speak it
            db.session.commit()
            if user.must_change_password:
                return redirect(url_for("auth.change_password"), 303)
            return redirect(home_url(user), 303)
        # One message whether the account exists or not.
        form.password.errors.append(_("Wrong username or password."))
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.errorhandler(429)
def too_many_sign_ins(_error):
    """The same answer for an existing and an unknown account: the count is kept per name typed."""
    form = LoginForm()
    form.password.errors = [_("Too many failed sign-ins. Wait 15 minutes and try again, "
                                  "or ask the administrator to check your account.")]
    return render_template("auth/login.html", form=form), 429


@bp.post("/logout")
def logout():
    sign_out()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"), 303)


@bp.post("/switch-user")
def switch_user():
    """On a shared PC: end this session at once and hand the login page to the next person."""
    name = current_user.name if current_user.is_authenticated else None
    sign_out()
    if name:
        flash(_("%(name)s is signed out. The next person can sign in now.", name=name), "info")
    return redirect(url_for("auth.login"), 303)


@bp.get("/session/status")
@reads_only
@login_required
def session_status():
    """Polled by every signed-in page (HTMX): a warning with "stay signed in" shortly before the end."""
    state = g.session_state
    warning = state.ends_at - clock.now() <= timedelta(minutes=current_app.config["SESSION_WARNING_MINUTES"])
    return render_template("auth/_session_status.html", state=state, warning=warning)


@bp.post("/session/keepalive")
@login_required
def session_keepalive():
    # enforce_session has counted this request as activity already.
    return render_template("auth/_session_status.html", state=g.session_state, warning=False)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current_password.data):
            form.current_password.errors.append(_("This is not your current password."))
        elif form.new_password.data == form.current_password.data:
            form.new_password.errors.append(_("Choose a password different from the current one."))
        else:
            form.new_password.errors.extend(str(p) for p in password_problems(form.new_password.data,
                                                                               current_user.username))
        if not form.errors:
            current_user.set_password(form.new_password.data)
            current_user.must_change_password = False
            end_other_sessions(current_user, keep_token=session.get("sid"))
            db.session.commit()
            flash(_("Your password was changed. Other sign-ins of your account have ended."), "info")
            return redirect(home_url(current_user), 303)
    status = 422 if form.errors else 200
    return render_template("auth/password.html", form=form), status


@bp.post("/language")
def language():
    form = LanguageForm()
    if form.validate_on_submit():
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            current_user.locale = form.locale.data
            db.session.commit()
    target = request.referrer or url_for("auth.login")
    if not target.startswith(request.host_url):
        target = url_for("auth.login")
    return redirect(target, 303)
