"""Penalty proposals (处罚意见), where the organisation keeps them (the profile's `assessment_unit`,
the 综合部): the service center or a department proposes a penalty against a responsible unit or a
person, about a complaint; the assessment unit decides it (accepted with the penalty decided, or
rejected with the reason) and then records its execution. Every state change is here, and each goes
on the complaint's timeline.

    proposed ──accept──> accepted ──execute──> executed
        └─────reject───> rejected"""
from __future__ import annotations

from datetime import date
from typing import Optional

from sqlalchemy import Select, func, select

from extensions import db
from extensions import lazy_gettext as _l
from models import Complaint, Penalty, PenaltyState, Role, Unit, UnitKind, User
from services import clock, org_settings, policy
from services.errors import Refused
from services.periods import Period
from services.timeline import log_event

PROPOSER_ROLES = policy.DEPARTMENT_ROLES | {Role.CENTER}
WAITING = (PenaltyState.PROPOSED, PenaltyState.ACCEPTED)
TEXT_LIMIT = 2000


def assessment_unit() -> Optional[Unit]:
    """The unit that decides and executes penalties; None where the organisation keeps no penalties."""
    code = org_settings.record_setting("assessment_unit")
    if not code:
        return None
    return db.session.scalar(select(Unit).where(Unit.code == code))


def enabled() -> bool:
    return assessment_unit() is not None


def is_assessor(user: User) -> bool:
    """A member of the assessment unit (its staff and its head)."""
    if not user.is_authenticated or user.role not in policy.DEPARTMENT_ROLES:
        return False
    unit = assessment_unit()
    return unit is not None and user.unit_id == unit.id


def is_proposer(user: User) -> bool:
    return user.is_authenticated and user.role in PROPOSER_ROLES and enabled()


def can_propose(user: User, complaint: Complaint) -> bool:
    return is_proposer(user) and policy.can_view(user, complaint)


def can_see(user: User, penalty: Penalty) -> bool:
    """The assessment unit, the center and the leaders, and whoever sees the complaint."""
    return enabled() and (is_assessor(user) or policy.can_view(user, penalty.complaint))


def target_units() -> list[Unit]:
    """Who a penalty may be proposed against: every unit but the head office."""
    return list(db.session.scalars(select(Unit).where(Unit.kind != UnitKind.HEAD_OFFICE).order_by(Unit.code)))


def target_people() -> list[User]:
    """The people a penalty may name (each within their unit), the administrators aside."""
    return list(db.session.scalars(
        select(User).join(Unit, Unit.id == User.unit_id)
        .where(User.active.is_(True), User.role != Role.ADMIN, Unit.kind != UnitKind.HEAD_OFFICE)
        .order_by(Unit.code, User.name, User.id).limit(1000)))


def _text(value: Optional[str], field: str, message) -> str:
    value = (value or "").strip()
    if not value:
        raise Refused(message, field=field)
    if len(value) > TEXT_LIMIT:
        raise Refused(_l("At most %(count)s characters.", count=TEXT_LIMIT), field=field)
    return value


def _target_name(penalty: Penalty) -> str:
    unit = penalty.target_unit.name
    return f"{unit} {penalty.target_user.name}" if penalty.target_user else unit


def propose_penalty(complaint: Complaint, actor: User, unit_id: Optional[int], person_id: Optional[int],
                    reason: Optional[str], proposed: Optional[str]) -> Penalty:
    """`person_id` 0 or None: against the unit itself; else a person of that unit."""
    if not can_propose(actor, complaint):
        raise Refused(_l("Only the customer service center and the departments propose penalties."))
    unit = db.session.get(Unit, unit_id) if unit_id else None
    if unit is None or unit.kind == UnitKind.HEAD_OFFICE:
        raise Refused(_l("Choose the unit the penalty is proposed against."), field="unit")
    person = db.session.get(User, person_id) if person_id else None
    if person_id and (person is None or person.unit_id != unit.id or person.role == Role.ADMIN or not person.active):
        raise Refused(_l("The person must be one of the chosen unit's staff."), field="person")
    reason = _text(reason, "reason", _l("Give the reason for the penalty."))
    proposed = _text(proposed, "penalty", _l("Say what penalty you propose."))
    penalty = Penalty(complaint_id=complaint.id, complaint=complaint, target_unit=unit, target_user=person,
                      reason=reason, proposed_penalty=proposed, proposed_at=clock.now(), proposed_by=actor,
                      state=PenaltyState.PROPOSED)
    db.session.add(penalty)
    db.session.flush()
    log_event(complaint, actor, "penalty_proposed", f"{_target_name(penalty)} · {proposed} · {reason}")
    return penalty


def _check_assessor(actor: User) -> None:
    if not is_assessor(actor):
        raise Refused(_l("Only the assessment unit decides and executes penalties."))


def decide_penalty(penalty: Penalty, actor: User, accepted: bool, decided: Optional[str],
                   note: Optional[str]) -> None:
    """Accepted: the penalty as decided (the proposal's unless changed); rejected: the reason."""
    _check_assessor(actor)
    if penalty.state != PenaltyState.PROPOSED:
        raise Refused(_l("This proposal has been decided already."))
    note = (note or "").strip()
    if accepted:
        decided = _text(decided, "penalty", _l("Say what penalty is decided."))
        if len(note) > TEXT_LIMIT:
            raise Refused(_l("At most %(count)s characters.", count=TEXT_LIMIT), field="note")
    else:
        note = _text(note, "note", _l("Give the reason for rejecting the proposal."))
        decided = None
    penalty.state = PenaltyState.ACCEPTED if accepted else PenaltyState.REJECTED
    penalty.decided_at, penalty.decided_by = clock.now(), actor
    penalty.decided_penalty, penalty.decision_note = decided, note or None
    target = _target_name(penalty)
    if accepted:
        log_event(penalty.complaint, actor, "penalty_accepted", " · ".join(filter(None, [target, decided, note])))
    else:
        log_event(penalty.complaint, actor, "penalty_rejected", f"{target} · {note}")


def execute_penalty(penalty: Penalty, actor: User, executed_on: Optional[date], note: Optional[str]) -> None:
    _check_assessor(actor)
    if penalty.state == PenaltyState.EXECUTED:
        raise Refused(_l("This penalty has been executed already."))
    if penalty.state != PenaltyState.ACCEPTED:
        raise Refused(_l("Only an accepted penalty is executed."))
    today = clock.to_local(clock.now()).date()
    if executed_on is None:
        raise Refused(_l("Enter the date it was executed (YYYY-MM-DD)."), field="executed_on")
    if executed_on > today:
        raise Refused(_l("The date of execution cannot be in the future."), field="executed_on")
    if executed_on < clock.to_local(penalty.decided_at).date():
        raise Refused(_l("The date of execution cannot be before the decision."), field="executed_on")
    note = _text(note, "note", _l("Say how the penalty was executed."))
    penalty.state = PenaltyState.EXECUTED
    penalty.executed_on, penalty.executed_at, penalty.executed_by = executed_on, clock.now(), actor
    penalty.execution_note = note
    log_event(penalty.complaint, actor, "penalty_executed",
              f"{_target_name(penalty)} · {penalty.decided_penalty} · {executed_on:%Y-%m-%d} · {note}")


# Lists and counts


def penalties_of(complaint: Complaint) -> list[Penalty]:
    if not enabled():
        return []
    return list(db.session.scalars(select(Penalty).where(Penalty.complaint_id == complaint.id).order_by(Penalty.id)))


def listing(status: str) -> Select:
    """The assessment unit's list: waiting (to decide, then to execute; the oldest first) or done."""
    if status == "waiting":
        return select(Penalty).where(Penalty.state.in_(WAITING)).order_by(Penalty.proposed_at, Penalty.id)
    return (select(Penalty).where(Penalty.state.not_in(WAITING))
            .order_by(func.coalesce(Penalty.executed_at, Penalty.decided_at).desc(), Penalty.id.desc()))


def waiting_counts(user: User) -> dict[PenaltyState, int]:
    """For an assessor: how many proposals wait for a decision and how many for their execution."""
    if not is_assessor(user):
        return {}
    found = dict(db.session.execute(select(Penalty.state, func.count()).where(Penalty.state.in_(WAITING))
                                    .group_by(Penalty.state)).all())
    return {state: int(found.get(state, 0)) for state in WAITING}


def counts_by_unit(period: Period) -> dict[int, tuple[int, int]]:
    """Per target unit: the penalties decided (accepted) in the period, and those executed in it (by the
    date of execution)."""
    decided = dict(db.session.execute(
        select(Penalty.target_unit_id, func.count())
        .where(Penalty.state.in_((PenaltyState.ACCEPTED, PenaltyState.EXECUTED)),
               Penalty.decided_at >= period.utc_start, Penalty.decided_at < period.utc_end)
        .group_by(Penalty.target_unit_id)).all())
    executed = dict(db.session.execute(
        select(Penalty.target_unit_id, func.count())
        .where(Penalty.state == PenaltyState.EXECUTED,
               Penalty.executed_on >= period.start, Penalty.executed_on < period.end)
        .group_by(Penalty.target_unit_id)).all())
    return {unit_id: (int(decided.get(unit_id, 0)), int(executed.get(unit_id, 0)))
            for unit_id in set(decided) | set(executed)}
