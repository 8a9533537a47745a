from flask import Blueprint

bp = Blueprint("complaints", __name__)

from blueprints.complaints import incident, routes, similar  # noqa: E402,F401
