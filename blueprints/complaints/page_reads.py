"""What the complaint's page reads (blueprints/complaints/routes.py): the complaint with what it
shows of it, which of its lists hold anything, its timeline. In as few statements as the page allows."""
import functools

from flask import abort, g
from flask_login import current_user
from sqlalchemy import Integer, bindparam, inspect as sa_inspect, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from extensions import db
from models import Attachment, Complaint, ComplaintEvent, CorrectiveAction, CustomerAccess, CustomerMessage
from services import policy


# The complaint's lists the page shows (and the policy asks about): most are empty for most complaints.
SHOWN_LISTS = ("answers", "plans", "extensions", "notes", "contacts", "visits", "reviews")
# And those the page's template globals read (blueprints.ui.known_empty): name, the table's rows.
LOOKED_UP = {"attachments": Attachment, "corrective_actions": CorrectiveAction,
             "customer_access": CustomerAccess, "customer_messages": CustomerMessage}


def _ask_which_lists_are_empty(complaint: Complaint) -> None:
    """Which of the complaint's lists hold nothing, in one statement: SHOWN_LISTS that are empty
    are set empty, and the empty LOOKED_UP noted for the request, so the page reads only the
    others (a statement each, as before), not eleven."""
    names = tuple(name for name in SHOWN_LISTS if name in sa_inspect(complaint).unloaded)
    held = db.session.execute(_any_in(names), {"complaint_id": complaint.id}).one()
    _note_empty_lists(complaint, names + tuple(LOOKED_UP), held)


def _note_empty_lists(complaint: Complaint, names: tuple, held) -> None:
    for name, any_of_them in zip(names, held):
        if any_of_them:
            continue
        if name in LOOKED_UP:
            g.setdefault("empty_lists", {}).setdefault(complaint.id, set()).add(name)
        else:
            set_committed_value(complaint, name, [])


@functools.cache
def _any_in(names: tuple):
    """SELECT EXISTS(...) for each list, built once (building eleven EXISTS cost more than running them)."""
    complaint_id = bindparam("complaint_id")
    return select(*(getattr(Complaint, name).any() for name in names),
                  *(select(model.id).where(model.complaint_id == complaint_id).exists()
                    for model in LOOKED_UP.values())).where(Complaint.id == complaint_id)


# What the page reads with the complaint: the unit handling it, its terms (for the similar cases)
# and its clocks (its own unit comes with its owner's).
_WITH_THE_PAGE = (joinedload(Complaint.handling_unit), joinedload(Complaint.terms_row),
                  joinedload(Complaint.deadlines))


@functools.cache
def _page_statement():
    """The complaint with _WITH_THE_PAGE, its customer's tracking access (the staff panel's) and, as
    _any_in asks, whether each of its SHOWN_LISTS and LOOKED_UP holds anything: one statement where
    they were three (every view of a complaint). Each list's question names the complaint's id, not
    the row: asked once, whatever the number of rows its clocks make. Built once."""
    complaint_id = bindparam("complaint_id", type_=Integer)

    def held(column):
        return select(column).where(column == complaint_id).correlate(None).exists()
    in_lists = [next(iter(getattr(Complaint, name).property.local_remote_pairs))[1] for name in SHOWN_LISTS]
    return (select(Complaint, CustomerAccess, *(held(column) for column in in_lists),
                   *(held(model.complaint_id) for model in LOOKED_UP.values()))
            .outerjoin(CustomerAccess, CustomerAccess.complaint_id == Complaint.id)
            .options(*_WITH_THE_PAGE).where(Complaint.id == complaint_id))


def page_complaint_or_404(complaint_id: int) -> Complaint:
    """blueprints.ui.visible_complaint_or_404 for the complaint's page, its empty lists known and its
    customer's access read (_page_statement; blueprints.ui.read_with_the_page)."""
    row = db.session.execute(_page_statement(), {"complaint_id": complaint_id}).unique().first()
    if row is None or not policy.can_view(current_user, row[0]):
        abort(404)
    complaint, access, *held = row
    _note_empty_lists(complaint, SHOWN_LISTS + tuple(LOOKED_UP), held)
    g.lists_known = complaint.id
    g.setdefault("read_with_the_page", {})[(complaint.id, "customer_access")] = access
    return complaint


def known_empty_lists(complaint: Complaint) -> None:
    """Which of the complaint's lists are empty, known for this request: read with the complaint
    (page_complaint_or_404), else asked now (a page shown again after a refused form)."""
    if g.get("lists_known") != complaint.id:
        _ask_which_lists_are_empty(complaint)


# The timeline the page shows (its views are in the audit log): built once.
_EVENTS = (select(ComplaintEvent).where(ComplaintEvent.complaint_id == bindparam("complaint_id"),
                                        ComplaintEvent.action != "viewed").order_by(ComplaintEvent.id))


def timeline_shown(complaint: Complaint) -> list[ComplaintEvent]:
    return db.session.scalars(_EVENTS, {"complaint_id": complaint.id}).all()
