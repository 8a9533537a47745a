"""The early warning of concentrated complaints (集中投诉预警): the worker watches what was registered
in a sliding window, and when enough similar complaints come from different customers (or through
2 units or channels at least) the service center is told once per wave, by e-mail and on its
home page. The alert grows with the wave; one click opens the incident that links them all, and
while that incident is open the alert gathers the like complaints coming after it.

Run in two workers at once it still raises one alert: its first complaint is unique to it, and
each complaint belongs to one alert at most; the database's keys decide, the loser steps aside."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from extensions import db, savepoint
from models import Channel, Complaint, ComplaintTerms, Incident, Unit, User, WaveAlert, WaveAlertMember
from services import clock, notify, similarity, textsim
from services.errors import Refused
from services.labels import CHANNEL_LABELS
from services.recipients import center_staff

WINDOW_LIMIT = 5000     # complaints of a window compared at most (a busy day's two hours: a few hundred)
LISTED = 5              # open alerts on the center's home
FOLLOWED = timedelta(hours=24)   # an alert turned incident gathers the like complaints coming after, this long
FOLLOWED_COMPLAINTS = 500


@dataclass
class Member:
    id: int
    customer: str
    unit_id: int
    channel: str
    terms: frozenset


_MEMBER_COLUMNS = (Complaint.id, Complaint.customer_contact, Complaint.unit_id, Complaint.channel, ComplaintTerms.terms)


def _members(rows) -> list[Member]:
    return [Member(r.id, r.customer_contact.strip().lower(), r.unit_id, r.channel.value, r.terms) for r in rows]


def _window(now) -> list[Member]:
    """The complaints registered within the window, not in an incident nor withdrawn, newest last."""
    since = now - timedelta(hours=current_app.config["WAVE_WINDOW_HOURS"])
    rows = db.session.execute(
        select(*_MEMBER_COLUMNS).join(ComplaintTerms, ComplaintTerms.complaint_id == Complaint.id)
        .where(ComplaintTerms.registered_at >= since, ComplaintTerms.registered_at <= now,
               Complaint.incident_id.is_(None), Complaint.withdrawn_at.is_(None))
        .order_by(ComplaintTerms.registered_at.desc()).limit(WINDOW_LIMIT))
    return _members(rows)[::-1]


def _followed(now) -> list[Member]:
    """The newest complaints of the alerts whose incident is open and that grew within FOLLOWED:
    a complaint like them that comes after joins their alert, however few come."""
    rows = db.session.execute(
        select(*_MEMBER_COLUMNS).join(ComplaintTerms, ComplaintTerms.complaint_id == Complaint.id)
        .join(WaveAlertMember, WaveAlertMember.complaint_id == Complaint.id)
        .join(WaveAlert, WaveAlert.id == WaveAlertMember.alert_id)
        .join(Incident, Incident.id == WaveAlert.incident_id)
        .where(Incident.closed_at.is_(None), WaveAlert.dismissed_at.is_(None), WaveAlert.updated_at >= now - FOLLOWED)
        .order_by(ComplaintTerms.registered_at.desc()).limit(FOLLOWED_COMPLAINTS))
    return _members(rows)


def is_wave(members: list[Member]) -> bool:
    """N similar complaints, from N customers or through 2 units or channels at least; from 2
    customers at least either way: one customer writing five times, through the counter and the
    hotline, is a persistent customer, not an incident."""
    needed = current_app.config["WAVE_MIN_COMPLAINTS"]
    customers = len({m.customer for m in members})
    if len(members) < needed or customers < 2:
        return False
    return customers >= needed or len({m.unit_id for m in members}) >= 2 or len({m.channel for m in members}) >= 2


def _words(members: list[Member], complaints: dict[int, Complaint]) -> str:
    common = textsim.common_terms([m.terms for m in members])
    texts = [t for m in members[:50] for t in (complaints[m.id].object_text, complaints[m.id].content)]
    return "、".join(textsim.shared_words(common, *texts, limit=5))[:200]


def check() -> dict:
    """One look at the window: raise an alert for each new wave, grow those already raised."""
    now = clock.now()
    window = _window(now)
    by_id = {m.id: m for m in window}
    followed = [m for m in _followed(now) if m.id not in by_id]
    by_id.update((m.id, m) for m in followed)
    raised = grown = 0
    for ids in textsim.groups([(m.id, m.terms) for m in window + followed],
                              current_app.config["SIMILARITY_THRESHOLD"]):
        if len(ids) < 2:
            continue
        members = [by_id[i] for i in ids]
        alert, new = _raise_or_find(members, now)
        if alert is None:
            continue   # no wave; or another worker raised it this very moment, and the next look grows it
        added = _add_members(alert, ids)
        if new or added:
            complaints = {c.id: c for c in db.session.scalars(select(Complaint).where(Complaint.id.in_(ids)))}
            alert.complaints = db.session.scalar(
                select(func.count()).select_from(WaveAlertMember).where(WaveAlertMember.alert_id == alert.id))
            alert.shared_words = _words(members, complaints) or alert.shared_words
            alert.updated_at = now
        if new:
            _tell_the_center(alert)
            raised += 1
        elif added:
            grown += 1
    return {"waves_raised": raised, "waves_grown": grown}


def _raise_or_find(members: list[Member], now) -> tuple[WaveAlert | None, bool]:
    """The alert some of these complaints are in already (the oldest), or a new one if they are a wave."""
    ids = [m.id for m in members]
    existing = db.session.scalar(select(func.min(WaveAlertMember.alert_id)).where(WaveAlertMember.complaint_id.in_(ids)))
    if existing is not None:
        return db.session.get(WaveAlert, existing), False
    if not is_wave(members):
        return None, False
    alert = WaveAlert(seed_complaint_id=ids[0], raised_at=now, updated_at=now, complaints=0, shared_words="")
    try:
        with savepoint():
            db.session.add(alert)
            db.session.flush()
    except IntegrityError:   # the same wave, raised by another worker
        return None, False
    return alert, True


def _add_members(alert: WaveAlert, ids: list[int]) -> int:
    have = set(db.session.scalars(select(WaveAlertMember.complaint_id).where(WaveAlertMember.complaint_id.in_(ids))))
    added = 0
    for complaint_id in ids:
        if complaint_id in have:
            continue
        try:
            with savepoint():
                db.session.add(WaveAlertMember(complaint_id=complaint_id, alert_id=alert.id))
                db.session.flush()
            added += 1
        except IntegrityError:   # another worker counted it meanwhile
            pass
    return added


def _tell_the_center(alert: WaveAlert) -> None:
    facts = alert_facts(alert)
    link = f"{current_app.config['PUBLIC_URL']}/center/"
    for user in center_staff():
        notify.queue_email(user, "wave", alert=alert, facts=facts, link=link)


@dataclass
class Facts:
    complaints: list                # the alert's complaints not in an incident yet: rows (id, number, …)
    units: list[Unit]
    channels: list[Channel]

    @property
    def channel_names(self) -> list[str]:
        return [str(CHANNEL_LABELS[channel]) for channel in self.channels]

    def unit_names(self, locale: str) -> list[str]:
        return [unit.display_name(locale) for unit in self.units]


def alert_facts(alert: WaveAlert, limit: int = 500) -> Facts:
    """The columns the banner and the e-mail show, not the complaints: the center's home shows five
    alerts of up to `limit` complaints each."""
    complaints = db.session.execute(
        select(Complaint.id, Complaint.number, Complaint.unit_id, Complaint.channel, Complaint.incident_id)
        .join(WaveAlertMember, WaveAlertMember.complaint_id == Complaint.id)
        .where(WaveAlertMember.alert_id == alert.id).order_by(Complaint.id).limit(limit)).all()
    unit_ids = sorted({c.unit_id for c in complaints})
    units = list(db.session.scalars(select(Unit).where(Unit.id.in_(unit_ids)).order_by(Unit.id)))
    return Facts([c for c in complaints if c.incident_id is None], units, sorted({c.channel for c in complaints}, key=lambda ch: ch.value))


def open_alerts() -> list[WaveAlert]:
    """The alerts the center has not acted on yet, newest first: new ones, and those whose incident
    is open with complaints come after it and not linked yet."""
    return list(db.session.scalars(_open_alerts()))


@functools.cache
def _open_alerts() -> Select:
    """open_alerts' statement, built once: the center's home and overview ask it on every request."""
    unlinked = (select(WaveAlertMember.complaint_id).join(Complaint, Complaint.id == WaveAlertMember.complaint_id)
                .where(WaveAlertMember.alert_id == WaveAlert.id, Complaint.incident_id.is_(None)).exists())
    return (select(WaveAlert).where(WaveAlert.dismissed_at.is_(None), or_(WaveAlert.incident_id.is_(None), unlinked))
            .order_by(WaveAlert.updated_at.desc(), WaveAlert.id.desc()).limit(LISTED))


def open_incident(alert: WaveAlert, actor: User) -> Incident:
    """One click: a concentrated incident linking every complaint of the alert not in one yet; once
    it is open, the same click adds those come since."""
    if not similarity.can_link(actor) or alert.dismissed_at is not None:
        raise Refused()
    waiting = list(db.session.scalars(select(Complaint).where(
        Complaint.id.in_([c.id for c in alert_facts(alert).complaints])).order_by(Complaint.id)))
    if not waiting:   # all linked meanwhile
        raise Refused()
    if alert.incident is not None:
        if alert.incident.closed_at is not None:
            raise Refused()
        for complaint in waiting:
            similarity.join_incident(complaint, alert.incident, actor)
        alert.updated_at = clock.now()
        return alert.incident
    incident = similarity.open_incident(alert.shared_words or str(alert.id), waiting, actor)
    # Conditional, so that two clicks at once (two center staff) open one incident: the other is refused.
    taken = db.session.execute(update(WaveAlert).where(
        WaveAlert.id == alert.id, WaveAlert.incident_id.is_(None), WaveAlert.dismissed_at.is_(None))
        .values(incident_id=incident.id, updated_at=clock.now()).execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        raise Refused()
    return incident


def dismiss(alert: WaveAlert, actor: User) -> None:
    """A false alarm; or, once its incident is open, no more following of the wave."""
    if not similarity.can_link(actor) or alert.dismissed_at is not None:
        raise Refused()
    alert.dismissed_at, alert.dismissed_by = clock.now(), actor
