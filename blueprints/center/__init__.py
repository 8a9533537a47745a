from flask import Blueprint

bp = Blueprint("center", __name__)

from blueprints.center import routes, warnings  # noqa: E402,F401
