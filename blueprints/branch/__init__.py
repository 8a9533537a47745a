from flask import Blueprint

bp = Blueprint("branch", __name__)

from blueprints.branch import routes  # noqa: E402,F401
