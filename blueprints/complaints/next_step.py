"""What comes next on a complaint: the actions that lead its page for this user, and what the user is
told after an action (what happened, who was told, what comes next and by when). Read from the
complaint as the action left it, so it says what is now stored."""
from __future__ import annotations

from blueprints.ui import current_locale, local_datetime, time_left, waits_on
from extensions import gettext as _
from models import Complaint, ComplaintState, DeadlineKind
from services import notify
from services.labels import DEADLINE_LABELS

# Clocks that lead no one to act: registration is met when the case exists.
_NOT_A_STEP = {DeadlineKind.REGISTRATION}


# The actions that move a case on, the most pressing first. Those the user may take now lead the
# page (at most three); every other permitted action waits behind "more actions".
_FORWARD = ("review", "decide", "answer", "assign", "plan", "dispatch", "result", "return", "visit", "note")
_LEADING = 3


def leading_actions(complaint: Complaint, allowed: list[str]) -> list[str]:
    def expected(key: str) -> bool:
        if key == "plan":        # a plan is the next step only where one must be approved before the case moves
            return complaint.is_major and not complaint.plan_cleared
        if key == "note":        # a progress note, when its 30-minute clock runs on this major case
            return complaint.open_deadline(DeadlineKind.PROGRESS) is not None
        return True
    return [key for key in _FORWARD if key in allowed and expected(key)][:_LEADING]


def _unit_and_person(complaint: Complaint) -> str:
    unit = complaint.handling_unit.display_name(current_locale()) if complaint.handling_unit else ""
    return _("%(unit)s (%(person)s)", unit=unit, person=complaint.assignee.name) if complaint.assignee else unit


def _visit(complaint: Complaint, form, result) -> str:
    if complaint.state == ComplaintState.CLOSED:
        return _("Return visit recorded; the complaint is closed.")
    if complaint.state == ComplaintState.WITH_LEADER:
        return _("Return visit recorded; the customer is still not satisfied, so the leader decides.")
    if complaint.state == ComplaintState.REGISTERED:
        return _("Return visit recorded; the customer is not satisfied, so a second handling starts.")
    return _("Return visit recorded.")


# action -> what happened, in one sentence, from the complaint after the action, the posted form
# and what the transition returned.
_HAPPENED = {
    "dispatch": lambda c, f, r: _("Dispatched to %(unit)s.", unit=_unit_and_person(c)),
    "assign": lambda c, f, r: _("Assigned to %(person)s.", person=c.assignee.name if c.assignee else ""),
    "plan": lambda c, f, r: _("Handling plan submitted."),
    "review": lambda c, f, r: (_("Plan approved.") if f.decision.data == "approve"
                            else _("Plan sent back to its author for changes.")),
    "answer": lambda c, f, r: _("Answer submitted to the first-responsible owner, %(person)s.", person=c.owner.name),
    "return": lambda c, f, r: _("Answer sent back to %(unit)s.", unit=_unit_and_person(c)),
    "result": lambda c, f, r: _("Recorded that the customer was told the result."),
    "invalid": lambda c, f, r: _("Closed as not valid."),
    "contact": lambda c, f, r: _("Contact with the customer logged."),
    "note": lambda c, f, r: _("Progress note added."),
    "visit": _visit,
    "escalate": lambda c, f, r: _("Escalated: %(person)s now handles it.", person=c.handler.name if c.handler else ""),
    "takeover": lambda c, f, r: _("You now handle this complaint."),
    "adjust": lambda c, f, r: _("Clock moved."),
    "extend": lambda c, f, r: _("Final decision deadline extended."),
    "notice": lambda c, f, r: (_("Decision notice e-mailed to the customer.") if r
                               else _("No e-mail address: print the decision notice and post it.")),
    "review_request": lambda c, f, r: _("Review case %(number)s opened.", number=r.number),
    "withdraw": lambda c, f, r: _("Withdrawal recorded; the complaint is closed."),
    "reclassify": lambda c, f, r: _("Classification saved."),
    "handover": lambda c, f, r: _("First responsibility handed over to %(person)s.", person=c.owner.name),
    "decide": lambda c, f, r: _("Final decision recorded; the complaint is closed."),
    "fields": lambda c, f, r: _("Extra fields saved.") if r else _("Nothing changed in the extra fields."),
}


def told_sentence(told: list[str]) -> str:
    if not told:
        return ""
    names = [_("the customer") if who == notify.CUSTOMER else who for who in told]
    shown = "、".join(names[:5]) if current_locale().startswith("zh") else ", ".join(names[:5])
    if len(names) > 5:
        shown = _("%(names)s and %(count)s more", names=shown, count=len(names) - 5)
    return _("Notified: %(names)s.", names=shown)


# After these actions the case waits on the clock they started, whichever runs out first.
_STARTS = {"dispatch": DeadlineKind.ANSWER, "assign": DeadlineKind.ANSWER, "return": DeadlineKind.ANSWER,
           "result": DeadlineKind.RETURN_VISIT}


def next_deadline(complaint: Complaint, action: str | None = None):
    """The open clock the case waits on now: a plan waiting for approval holds everything else up;
    else the clock the action just started; else the one that runs out first."""
    open_ = [d for d in complaint.deadlines if d.met_at is None and d.kind not in _NOT_A_STEP]
    for kind in (DeadlineKind.PLAN_APPROVAL, _STARTS.get(action)):
        started = [d for d in open_ if d.kind == kind]
        if started:
            return started[-1]
    return min(open_, key=lambda d: d.due_at, default=None)


def next_sentence(complaint: Complaint, action: str | None = None) -> str:
    if complaint.state == ComplaintState.CLOSED:
        return ""
    deadline = next_deadline(complaint, action)
    if deadline is None:
        return ""
    return _("Next: %(step)s, by %(who)s, before %(due)s (%(left)s).", step=DEADLINE_LABELS[deadline.kind],
             who=waits_on(deadline) or _("nobody yet"), due=local_datetime(deadline.due_at),
             left=time_left(deadline.due_at))


def confirmation(action: str, complaint: Complaint, form, result, told: list[str]) -> str:
    return _joined(_HAPPENED[action](complaint, form, result), told_sentence(told), next_sentence(complaint, action))


def registration_confirmation(complaint: Complaint, told: list[str], created: bool) -> str:
    if not created:   # the same form sent twice: the first one stands
        return _("Complaint %(number)s was registered already (the form was sent twice); nothing was added.",
                 number=complaint.number)
    return _joined(_("Complaint %(number)s registered; %(owner)s is its first-responsible owner.",
                     number=complaint.number, owner=complaint.owner.name),
                   told_sentence(told), next_sentence(complaint))


def _joined(*sentences: str) -> str:
    return ("" if current_locale().startswith("zh") else " ").join(part for part in sentences if part)
