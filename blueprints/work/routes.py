"""待我处理: every role's home (but the administrator's), and the counts the navigation shows."""
from flask import render_template, url_for
from flask_login import current_user

from blueprints.ui import PageLabels, PageTimes, complaint_link, current_locale, reads_only, role_required
from blueprints.work import bp
from models import Role
from services import clock, my_work, penalties, policy

EVERYONE_BUT_ADMIN = [role for role in Role if role != Role.ADMIN]


def _more_url(key: str) -> str:
    """Where the whole of a group is listed: the queue that holds it, or the ledger filtered to it."""
    role = current_user.role
    if key in ("assign", "answer"):
        return url_for("department.queue") if role in policy.DEPARTMENT_ROLES else url_for("branch.queue")
    if key == "approve":
        return url_for("branch.approvals")
    if key in ("signoff", "capa"):
        return url_for("reports.capa_records", status="submitted") if key == "signoff" else url_for(
            "department.queue")
    if key == "visit" and role == Role.CENTER:
        return url_for("center.visits")
    if key == "progress":
        return url_for("ledger.index", severity="major")
    state = {"dispatch": "registered", "result": "answered", "visit": "awaiting_visit",
             "decide": "with_leader"}[key]
    return url_for("ledger.index", state=state)


@bp.get("/")
@reads_only
@role_required(*EVERYONE_BUT_ADMIN)
def index():
    """What waits on me now, grouped by what I must do, the most urgent first in each group."""
    listings = my_work.listings(current_user, not current_locale().startswith("zh"))
    # The rows' links, levels and times in words, each worked out once a page (blueprints.ui).
    return render_template("work/index.html", listings=listings, more_url=_more_url, link=complaint_link(),
                           labels=PageLabels(), times=PageTimes(clock.now()))


@bp.get("/counts")
@reads_only
@role_required(*EVERYONE_BUT_ADMIN)
def counts():
    """The navigation's links with their counts; the navigation loads it, every minute and whenever
    a page announces `work-changed` (e.g. after an approval). The assessment unit's penalty proposals
    waiting on it count too: its 待我处理 lists them."""
    counts = my_work.counts(current_user)
    total = counts.get(my_work.TOTAL, 0) + sum(penalties.waiting_counts(current_user).values())
    return render_template("work/_nav_counts.html", total=total, approvals=counts.get("approve"))
