from flask import Blueprint

bp = Blueprint("admin", __name__)

from blueprints.admin import api_keys, fields, handover, organisation, outbox, routes  # noqa: E402,F401
