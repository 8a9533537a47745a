from flask import Blueprint

bp = Blueprint("department", __name__)

from blueprints.department import routes  # noqa: E402,F401
