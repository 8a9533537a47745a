"""Similar complaints (相似投诉): each complaint's terms kept at registration, the complaints most
like one that a user may open, and linking them into one incident (集中性) in one click.

The candidates come from an index, not a scan: on PostgreSQL a GIN index on the terms finds the
complaints of the window sharing a telling term with this one (not one every hundredth complaint
has); on SQLite the newest complaints of the window are read. Either way at most SCORED are scored."""
from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from flask import current_app
from sqlalchemy import Integer, Select, bindparam, func, select, text, type_coerce
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import NullType

from extensions import db, lazy_gettext as _l
from models import Channel, Complaint, ComplaintKind, ComplaintState, ComplaintTerms, Incident, Role, User
from models.similarity import term_keys
from services import audit, choices, clock, policy, sql, textsim
from services.errors import Refused
from services.timeline import log_event

SHOWN = 8                 # similar complaints listed on a complaint's page
SCORED = 500              # complaints scored for a page at most (the newest candidates of the window)
EVERYDAY = 0.01           # a term in more than this share of all complaints does not select candidates
BIG_TABLE = 50_000        # ... once there are this many complaints
COMMONEST = 8             # a complaint told in everyday terms only: the newest sharing one of its 8 commonest
LINK_ROLES = {Role.CENTER, Role.LEADER}


@dataclass(frozen=True)
class Case:
    """A similar complaint, as its line on a complaint's page shows it."""
    id: int
    number: str
    state: ComplaintState
    channel: Channel
    registered_at: datetime
    unit: choices.Place
    incident_id: Optional[int]
    incident_title: Optional[str]


@dataclass
class Similar:
    complaint: Case
    score: float
    words: list[str]   # what the two share, as words


def complaint_terms(complaint: Complaint) -> frozenset[str]:
    """What is compared: what happened and what it is about. The demand is left out: customers ask
    for the same few things (an apology, a refund, an answer) whatever happened."""
    return textsim.terms(complaint.content, complaint.object_text)


def index_complaint(complaint: Complaint) -> frozenset[str]:
    """Keep the complaint's terms for the lookups (at registration, in its transaction); returns them,
    so that the repeat check of the same registration need not read them back."""
    terms = complaint_terms(complaint)
    db.session.add(ComplaintTerms(complaint_id=complaint.id, registered_at=complaint.registered_at, terms=terms))
    return terms


def terms_of(complaint: Complaint) -> frozenset[str]:
    # Without a statement when loaded with the complaint (Complaint.terms_row): the session has them.
    stored = db.session.get(ComplaintTerms, complaint.id)
    return stored.terms if stored is not None else complaint_terms(complaint)


def _candidates(complaint: Complaint, found: frozenset[str], viewer: Optional[User], threshold: float,
                limit: int, window: timedelta, open_only: bool = False) -> list[tuple[int, float, frozenset]]:
    """(id, score, terms) of the complaints within `window` around this one most like `found` that `viewer`
    may open (without a viewer: all), only open ones if `open_only`, best first. At most SCORED
    complaints are scored, the newest first: on PostgreSQL those sharing a word with this one that not
    every hundredth complaint uses (the GIN index finds them), on SQLite the newest of the window."""
    since, until = complaint.registered_at - window, complaint.registered_at + window
    probe, probe_values = _probe(found, since, until)
    # On the session's connection, past the ORM's execution: the rows are plain values, and nothing
    # of the session's own is read (its complaint is left out).
    # Planned for its values each time: a generic plan, blind to how many complaints share these
    # words, is the wrong one.
    with sql.planned_each_time():
        rows = db.session.connection().execute(
            _candidates_statement(probe, _Viewer.of(viewer), open_only),
            {"complaint_id": complaint.id, "since": since, "until": until, "probe": probe_values}).all()
    scored = []
    for complaint_id, terms in rows:
        terms = (terms or "").split()
        score = textsim.score_stored(found, terms)
        if score >= threshold:
            scored.append((complaint_id, score, terms))
    best = sorted(scored, key=lambda entry: (-entry[1], -entry[0]))[:limit]
    return [(complaint_id, score, frozenset(terms)) for complaint_id, score, terms in best]


def _probe(found: frozenset[str], since, until) -> tuple[str, Optional[str]]:
    """How the candidates are found, and with what: on PostgreSQL by the index keys of the telling
    terms ("keys") or, with everyday terms only, by the commonest terms ("terms"), either given as
    one text, the keys or terms separated by spaces (a term has none); on SQLite the window is read
    ("window")."""
    if sql.dialect() != "postgresql":
        return "window", None
    shares = everyday_terms()
    telling = found.difference(shares)
    if not telling:
        # Tested against each complaint of the window, term by term: its most common ones find
        # as many, at a fraction of the cost (4 ms instead of 15 with 37 terms, measured).
        return "terms", " ".join(sorted(found, key=lambda term: (-shares[term], term))[:COMMONEST])
    return "keys", " ".join(term_keys(telling, since, until))


@dataclass(frozen=True)
class _Viewer:
    """What policy.visible_complaints reads of a user, and the settings it depends on: the key of the
    statements built for them. None for whoever sees every complaint (and the repeat check)."""
    id: int
    role: Role
    unit_id: Optional[int]
    named_for_plans: bool
    leaders_plans: Role

    @classmethod
    def of(cls, user: Optional[User]) -> Optional["_Viewer"]:
        if user is None or user.role in policy.SEE_ALL_ROLES:
            return None
        return cls(user.id, user.role, user.unit_id, policy.named_for_plans(user), policy.leaders_plans())


@functools.lru_cache(maxsize=1024)
def _candidates_statement(probe: str, viewer: Optional[_Viewer], open_only: bool = False) -> Select:
    """The candidates' statement for a probe (_probe) and a viewer, with the complaint's id, the
    window and the probe's values as parameters: built once per process (building it cost more
    than running it, on every complaint's page and every registration).

    With telling terms (keys), the GIN index finds the complaints of the window's days sharing one,
    all of them (the CTE is materialized), and the newest of the window are taken after: asked for
    the newest directly, PostgreSQL may read the window backwards in time testing every complaint,
    its statistics unable to tell a rare word from a missing one (240 ms instead of 2 at 1,000,000
    complaints, measured); and ANDing the index of dates (52,000 complaints of the window) costs
    more than reading the complaints of its 10-day edges. With everyday terms only, the newest
    sharing one are near: the window is read backwards in time."""
    query = select(ComplaintTerms.complaint_id, ComplaintTerms.registered_at, ComplaintTerms.terms)
    # Sent as one text and split by PostgreSQL, at planning (the statement is planned for its values):
    # the driver dumped an array of the window's 300 keys item by item, 0.3 ms of CPU (measured).
    values = func.string_to_array(bindparam("probe", type_=db.Text), " ", type_=ARRAY(db.Text))
    if probe == "keys":
        keys = func.complaint_term_keys(ComplaintTerms.registered_at, ComplaintTerms.terms, type_=ARRAY(db.Text))
        found_in = query.where(keys.op("&&")(values)).cte("sharing").prefix_with("MATERIALIZED")
    elif probe == "terms":
        found_in = query.where(ComplaintTerms.terms.op("&&")(values)).subquery()
    else:
        found_in = query.subquery()
    # The terms as one text (SQLite's as stored, PostgreSQL's array joined by spaces), split by the
    # caller, not as sets: fetching 500 candidates through TermSet took longer than finding them, and
    # as arrays the driver's reading took 3.4 ms of CPU, as texts 2.1 (4.8 → 2.4 ms of wall time).
    if probe == "window":
        stored = type_coerce(found_in.c.terms, NullType()).label("terms")
    else:
        stored = func.array_to_string(found_in.c.terms, " ", type_=NullType()).label("terms")
    moment = ComplaintTerms.registered_at.type
    since, until = bindparam("since", type_=moment), bindparam("until", type_=moment)
    candidates = (select(found_in.c.complaint_id, stored)
                  .where(found_in.c.complaint_id != bindparam("complaint_id", type_=Integer),
                         found_in.c.registered_at >= since, found_in.c.registered_at <= until))
    still_open = Complaint.state != ComplaintState.CLOSED
    conditions = [still_open] if open_only else []
    if open_only:
        # First, whether the window holds any open complaint at all (ix_complaint_open_registered):
        # around an old complaint it holds none, and PostgreSQL, finding none, never reads the
        # candidates (the condition does not depend on them: it is asked once, before).
        candidates = candidates.where(select(Complaint.id).where(
            still_open, Complaint.registered_at >= since, Complaint.registered_at <= until).exists())
    if viewer is not None:
        conditions.append(policy.visible_complaints(viewer))
    if conditions:
        # Asked of the candidates found, not inside the lookup: there, expecting thousands of them,
        # PostgreSQL read the whole complaint table to join it (26 ms instead of 1 at 1,000,000
        # complaints, measured).
        candidates = candidates.where(select(Complaint.id).where(
            Complaint.id == found_in.c.complaint_id, *conditions).exists())
    return candidates.order_by(found_in.c.registered_at.desc()).limit(SCORED)


_everyday: dict = {"at": 0.0, "terms": {}}


def everyday_terms() -> dict[str, float]:
    """The terms in more than EVERYDAY of all complaints, with their share, from PostgreSQL's
    statistics of the column (ANALYZE keeps them; read again every 10 minutes): searching by them
    would find a good part of the table, scoring them all would take the time. None while the
    table is small: its statistics may be of other rows (a wiped test database), and reading it
    all costs little."""
    if time.monotonic() - _everyday["at"] > 600:
        row = db.session.execute(text(
            "SELECT s.most_common_elems::text::text[] AS elems, s.most_common_elem_freqs AS freqs, c.reltuples "
            "FROM pg_stats s JOIN pg_class c ON c.oid = to_regclass('complaint_terms') "
            "WHERE s.tablename = 'complaint_terms' AND s.attname = 'terms' AND s.schemaname = current_schema()")).first()
        common = {}
        if row is not None and row.elems and row.reltuples >= BIG_TABLE:
            common = {term: share for term, share in zip(row.elems, row.freqs) if share > EVERYDAY}
        _everyday.update(at=time.monotonic(), terms=common)
    return _everyday["terms"]


# The lines' columns, of the open ones among the ids, the incident's title joined (the units are
# kept): built once (building it cost as much as running it).
_LINES = (select(Complaint.id, Complaint.number, Complaint.state, Complaint.channel, Complaint.registered_at,
                 Complaint.unit_id, Complaint.incident_id, Incident.title)
          .outerjoin(Incident, Incident.id == Complaint.incident_id)
          .where(Complaint.id.in_(bindparam("ids", expanding=True)), Complaint.state != ComplaintState.CLOSED))


def similar_to(complaint: Complaint, viewer: User, limit: int = SHOWN,
               threshold: Optional[float] = None) -> list[Similar]:
    """The open complaints most like this one, within the window around it, that `viewer` may open.
    Closed ones are left out (their handling is over: nothing to link or to handle together), by the
    lookup itself: around an old complaint all are closed, and scoring them found nothing to show."""
    found = terms_of(complaint)
    if not found:
        return []
    threshold = current_app.config["SIMILARITY_THRESHOLD"] if threshold is None else threshold
    ranked = _candidates(complaint, found, viewer, threshold, limit,
                         timedelta(days=current_app.config["SIMILAR_WINDOW_DAYS"]), open_only=True)
    if not ranked:
        return []
    units = choices.units()
    loaded = {row.id: Case(row.id, row.number, row.state, row.channel, row.registered_at, units[row.unit_id],
                           row.incident_id, row.title)
              for row in db.session.connection().execute(_LINES, {"ids": [i for i, *_r in ranked]})}
    shown = [(i, score, terms) for i, score, terms in ranked if i in loaded][:limit]
    return [Similar(loaded[i], round(score, 2), textsim.shared_words(found & terms, complaint.object_text,
                                                                     complaint.content))
            for i, score, terms in shown]


def alike(complaint: Complaint, threshold: float, window: timedelta, limit: int = 500,
          found: Optional[frozenset[str]] = None) -> dict[int, tuple]:
    """The complaints within `window` around this one scoring `threshold` or more, whoever may see them
    (for the repeat rule, which counts them all): id → (score, the terms it shares with this one).
    `found`: the complaint's terms when the caller has them (its registration)."""
    found = terms_of(complaint) if found is None else found
    if not found:
        return {}
    return {i: (score, found & terms) for i, score, terms in _candidates(complaint, found, None, threshold, limit, window)}


def can_link(user: User) -> bool:
    """The service center (and the leaders) link complaints into incidents."""
    return user.role in LINK_ROLES


def join_incident(complaint: Complaint, incident: Incident, actor: User) -> bool:
    """Link the complaint to the incident (it becomes concentrated); False if it is in one already."""
    if complaint.incident_id is not None:
        return False
    audit.remember(complaint)
    complaint.version += 1   # a transition: whoever acts on the old version meanwhile is told
    complaint.updated_at = clock.now()
    complaint.incident, complaint.incident_id = incident, incident.id
    complaint.kind = ComplaintKind.CONCENTRATED
    log_event(complaint, actor, "incident_joined", incident.title)
    return True


def open_incident(title: str, complaints: list[Complaint], actor: User) -> Incident:
    """A new incident linking the complaints not in one yet."""
    incident = Incident(title=title[:200], opened_at=clock.now(), opened_by=actor)
    db.session.add(incident)
    db.session.flush()
    for complaint in complaints:
        join_incident(complaint, incident, actor)
    return incident


def link_similar(complaint: Complaint, other: Complaint, actor: User) -> Incident:
    """One click on a complaint's page: the similar `other` joins this complaint's incident, or both
    open a new one named after what they share (or it joins the one `other` is in)."""
    if not (can_link(actor) and policy.can_view(actor, complaint) and policy.can_view(actor, other)) \
            or other.id == complaint.id:
        raise Refused()
    if complaint.incident is not None and other.incident is not None:
        raise Refused(_l("Both complaints are linked to incidents already."))
    if complaint.incident is not None:
        join_incident(other, complaint.incident, actor)
        return complaint.incident
    if other.incident is not None:
        join_incident(complaint, other.incident, actor)
        return other.incident
    words = textsim.shared_words(terms_of(complaint) & terms_of(other), complaint.object_text, complaint.content, limit=3)
    return open_incident("、".join(words) or complaint.object_text, [complaint, other], actor)
