from flask import Blueprint

bp = Blueprint("work", __name__)

from blueprints.work import routes  # noqa: E402,F401
