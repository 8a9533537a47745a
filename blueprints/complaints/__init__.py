from flask import Blueprint

bp = Blueprint("complaints", __name__)

from blueprints.complaints import routes  # noqa: E402,F401
