from flask import Blueprint

bp = Blueprint("periodic", __name__)

from blueprints.periodic import routes  # noqa: E402,F401
