from flask import redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from blueprints.auth import bp
from blueprints.auth.forms import LanguageForm, LoginForm
from blueprints.ui import home_url
from extensions import db
from models import User


@bp.get("/")
@login_required
def home():
    return redirect(home_url(current_user))


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.username == form.username.data.strip()))
        if user is not None and user.active and user.check_password(form.password.data):
            session.clear()   # a fresh session for every sign-in on a shared PC
            login_user(user, remember=False)
            session["locale"] = user.locale   # so pages shown without the database still speak it
            return redirect(home_url(user), 303)
        # One message whether the account exists or not.
        form.password.errors.append(_("Wrong username or password."))
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout():
    locale = session.get("locale")
    logout_user()
    session.clear()
    if locale:
        session["locale"] = locale
    return redirect(url_for("auth.login"), 303)


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
