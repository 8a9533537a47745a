"""What every blueprint's views share: role guards, the visible-complaint lookup, and the
template helpers that put the labels (services.labels) on a page."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable
from functools import wraps

from flask import abort, current_app, g, has_request_context, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup, escape
from sqlalchemy import select
from werkzeug.routing import IntegerConverter
from wtforms.validators import ValidationError

from extensions import db, gettext as _, lazy_gettext as _l, locale_code, ngettext
from models import (Category, Channel, Complaint, ComplaintState, DeadlineKind, Incident, ComplaintKind, Role, Satisfaction,
                    Unit, User)
from services import bounds, clock, custom_fields, deadlines, identity, org_settings, policy, sql
from services.links import without_links
from services.labels import (CAPA_STATE_LABELS, CHANNEL_LABELS, CONTACT_LABELS, DEADLINE_LABELS, DETAIL_NAME_ACTIONS,
                             DETAIL_NAMES, DETAIL_NOTE_ACTIONS, DETAIL_WITH_NOTE, EVENT_LABELS,
                             EVENT_SENTENCES, FIELD_LABELS, KIND_LABELS, LEVEL_LABELS, NATURE_LABELS, PLAN_STATE_LABELS,
                             ROLE_LABELS,
                             REPEAT_ALIKE_DETAIL, SATISFACTION_LABELS, SEVERITY_LABELS, STATE_LABELS, VIEW_DETAIL_LABELS,
                             WORK_GROUP_LABELS)

_ENUM_FIELDS = {"state": (ComplaintState, STATE_LABELS), "channel": (Channel, CHANNEL_LABELS),
                "kind": (ComplaintKind, KIND_LABELS), "satisfaction": (Satisfaction, SATISFACTION_LABELS)}
_REFERENCES = {"unit_id": Unit, "handling_unit_id": Unit, "object_unit_id": Unit, "owner_id": User,
               "handler_id": User, "assignee_id": User, "object_user_id": User, "category_id": Category,
               "incident_id": Incident, "review_of_id": Complaint}
_LONGEST = 300


def describe_changes(events) -> dict[int, list[tuple[str, str, str]]]:
    """Per timeline entry, its recorded field changes in words: (field, before, after), with names
    instead of ids and labels instead of codes. The rows each entry names are read in one query per table."""
    wanted: dict = {}
    for event in events:
        for name, values in (event.changes or {}).items():
            if name in _REFERENCES:
                wanted.setdefault(_REFERENCES[name], set()).update(v for v in values if isinstance(v, int))
    names = {model: {row.id: _name_of(row) for row in db.session.scalars(select(model).where(model.id.in_(ids)))}
             for model, ids in wanted.items() if ids}
    labels = dict(FIELD_LABELS)
    if any(name.startswith("extra.") for event in events for name in (event.changes or {})):
        # A correction of the organisation's own fields (services.field_edits): named by the field's label.
        labels.update({f"extra.{f.key}": f.label(current_locale()) for f in custom_fields.all_fields()})
    return {event.id: [(str(labels.get(name, name)), _value(name, before, names),
                        _value(name, after, names))
                       for name, (before, after) in event.changes.items()]
            for event in events if event.changes}


def _name_of(row) -> str:
    if isinstance(row, (Unit, Category)):
        return row.display_name(current_locale())
    if isinstance(row, Complaint):
        return row.number
    if isinstance(row, Incident):
        return row.title
    return row.name


def _value(name: str, value, names: dict) -> str:
    if value is None or value == "":
        return "—"
    if name in _REFERENCES:
        return names.get(_REFERENCES[name], {}).get(value, f"#{value}")
    if name == "severity":
        return str(SEVERITY_LABELS.get(value, value))
    if name == "level":
        return str(LEVEL_LABELS.get(value, value))
    if name in _ENUM_FIELDS:
        enum_class, labels = _ENUM_FIELDS[name]
        try:
            return str(labels[enum_class(value)])
        except ValueError:
            return str(value)
    if isinstance(value, bool):
        return str(_l("Yes") if value else _l("No"))
    if isinstance(value, dict):   # the organisation's own fields (Complaint.extra), by key
        value = "; ".join(f"{key}: {item}" for key, item in sorted(value.items()))
    if name.endswith("_at") and isinstance(value, str):
        try:
            return local_datetime(datetime.fromisoformat(value))
        except ValueError:
            return value
    text = str(value)
    return text if len(text) <= _LONGEST else text[:_LONGEST] + "…"


class DatabaseId(IntegerConverter):
    """`<int:...>` in every URL: a number larger than a database integer is a 404, not an overflow."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", bounds.MAX_ID)
        super().__init__(map, *args, **kwargs)


def within_bounds(form, field):
    """WTForms validator for every date and date-time field: inside services.bounds' range, so that
    no year 1 or 9999 reaches the date arithmetic or the database."""
    if field.data is None:
        return
    try:
        if isinstance(field.data, datetime):
            bounds.check_local_moment(field.data)
        else:
            bounds.check_day(field.data)
    except bounds.OutOfBounds as error:
        raise ValidationError(bounds_message(error)) from None


def bounds_message(error: bounds.OutOfBounds) -> str:
    if error.what == "page":
        return _("There are at most %(count)s pages; narrow the filter instead.", count=f"{bounds.MAX_PAGE:,}")
    return _("Enter a date from %(earliest)s to %(latest)s.", earliest=f"{error.earliest:%Y-%m-%d}",
             latest=f"{error.latest:%Y-%m-%d}")


def check_page_number() -> None:
    """Before every request: a list's ?page= beyond services.bounds.MAX_PAGE is refused (400) with a
    message, whichever view pages (they all read the same parameter through db.paginate)."""
    if "page" in request.args:
        bounds.page_number(request.args.get("page"))


def reads_only(view):
    """A page that reads, and writes at most statements that stand alone (the session's touch, the
    view's audit entry): on PostgreSQL its GET runs in autocommit (services.sql.reading_in_autocommit)."""
    view.reads_only = True
    return view


def read_marked_pages_in_autocommit() -> None:
    """Before every request, first of all (the sign-in check reads the user): reads_only pages."""
    if request.method in ("GET", "HEAD") and getattr(current_app.view_functions.get(request.endpoint), "reads_only", False):
        sql.reading_in_autocommit()


def role_required(*roles: Role):
    """Signed in, and one of `roles`; anyone else gets 403."""
    return allowed_if(lambda user: user.role in roles)


def allowed_if(may: Callable[[User], bool]):
    """Signed in, and `may(user)` (a rule of services.policy); anyone else gets 403."""
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not may(current_user):
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


def visible_complaint_or_404(complaint_id: int, *options) -> Complaint:
    """The complaint, if the current user may see it; otherwise 404, so nothing is revealed.
    `options`: loader options for what the caller reads of it (joinedload(Complaint.handling_unit), …)."""
    complaint = db.session.get(Complaint, complaint_id, options=options)
    if complaint is None or not policy.can_view(current_user, complaint):
        abort(404)
    return complaint


def known_empty(complaint, what: str) -> bool:
    """Whether this request found the complaint's `what` empty already (the complaint page asks once
    for all its lists: blueprints/complaints/page_reads.py), so its look-up can be skipped."""
    return what in g.get("empty_lists", {}).get(complaint.id, ())


NOT_READ = object()


def read_with_the_page(complaint, what: str):
    """The complaint's `what` as its page read it with the complaint in this request
    (blueprints/complaints/page_reads.py), or NOT_READ."""
    return g.get("read_with_the_page", {}).get((complaint.id, what), NOT_READ)


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def home_url(user) -> str:
    """Everyone's home is what waits on them (待我处理); the administrator's, the administration."""
    if user.role == Role.ADMIN:
        return url_for("admin.index")
    return url_for("work.index")


def time_left(due, now=None) -> str:
    """The time to a deadline in words, "25 minutes left" / "2 hours overdue": minutes below an hour,
    hours below two days, days beyond (rounded down, so that nothing looks later than it is)."""
    if due is None:
        return ""
    return _time_in_words(*_time_to(due, now or clock.now()))


def _time_to(due: datetime, now: datetime) -> tuple[str, int, bool]:
    """time_left's unit, number and whether it is overdue."""
    seconds = (now - due).total_seconds()
    minutes = int(abs(seconds) // 60)
    if minutes < 60:
        return "minute", minutes, seconds > 0
    if minutes < 48 * 60:
        return "hour", minutes // 60, seconds > 0
    return "day", minutes // (24 * 60), seconds > 0


def _time_in_words(unit: str, number: int, overdue: bool) -> str:
    if unit == "minute":
        amount = ngettext("%(num)s minute", "%(num)s minutes", number)
    elif unit == "hour":
        amount = ngettext("%(num)s hour", "%(num)s hours", number)
    else:
        amount = ngettext("%(num)s day", "%(num)s days", number)
    return _("%(amount)s overdue", amount=amount) if overdue else _("%(amount)s left", amount=amount)


class PageLabels(dict):
    """A page's labels (services.labels' lazy strings) in the reader's language, each translated once
    a page, not once a row: `labels(LEVEL_LABELS, level)`."""

    def __call__(self, labels: dict, value) -> str:
        key = (id(labels), value)
        if key not in self:
            self[key] = str(labels[value])
        return self[key]


def complaint_link() -> Callable[[int], str]:
    """url_for('complaints.show') of any id, the URL built once: werkzeug builds a URL in about 20 µs,
    and a list links every row."""
    sample = url_for("complaints.show", complaint_id=0)
    if not sample.endswith("/0"):   # the route's id is no longer last: build each
        return lambda id_: url_for("complaints.show", complaint_id=id_)
    prefix = sample[:-1]
    return lambda id_: f"{prefix}{id_}"


class PageTimes:
    """time_left and local_datetime for the many deadlines of one page (a list's rows): the time zone
    found once and each distinct phrase translated once (a queue's rows repeat "2 days left")."""

    def __init__(self, now: datetime):
        self.now, self.zone, self.words = now, clock.business_tz(), {}

    def left(self, due: datetime | None) -> str:
        if due is None:
            return ""
        key = _time_to(due, self.now)
        words = self.words.get(key)
        if words is None:
            words = self.words[key] = _time_in_words(*key)
        return words

    def local(self, value: datetime | None) -> str:
        return _local_text(value, self.zone) if value else ""


def current_locale() -> str:
    return locale_code()


def local_datetime(value) -> str:
    """A moment (naive UTC, or aware) as the business time zone's yyyy-MM-dd HH:mm. The pattern is
    the same in every language, so this is strftime, not Babel's format_datetime (a queue page
    formats dozens, and Babel looks the locale up for each)."""
    if not value:
        return ""
    return _local_text(value, clock.business_tz())


def _local_text(value: datetime, zone) -> str:
    """local_datetime's text of a moment (naive UTC, or aware) in the time zone `zone`."""
    aware = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value
    return aware.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def waits_on(deadline) -> str:
    """Who must act for an open deadline, as the reminders address them."""
    from services.reminders import assignees   # here: reminders imports the services this module does
    return ", ".join(user.name for user in assignees(deadline))


_CHANNELS = {channel.value: channel for channel in Channel}


def event_detail(event) -> str:
    """An event's detail as shown: a registration filed by the customer stores its channel's code,
    which reads as the channel's name in the viewer's language."""
    if event.action == "registered" and event.detail in _CHANNELS:
        return str(CHANNEL_LABELS[_CHANNELS[event.detail]])
    if event.action == "viewed" and event.detail in VIEW_DETAIL_LABELS:
        return str(VIEW_DETAIL_LABELS[event.detail])
    if event.action == "repeat_alike" and event.detail and event.detail.count("|") == 2:
        score, threshold, words = event.detail.split("|")
        return str(REPEAT_ALIKE_DETAIL % {"score": score, "threshold": threshold, "words": words or "—"})
    detail = event.detail or ""
    if event.action in DETAIL_NOTE_ACTIONS and ": " in detail:
        who, note = detail.split(": ", 1)
        return str(DETAIL_WITH_NOTE) % {"label": who, "value": note}
    if event.action in DETAIL_NAME_ACTIONS and ", " in detail:
        first, *others = detail.split(", ")
        for name in others:
            first = str(DETAIL_NAMES) % {"first": first, "next": name}
        return first
    return detail


def event_sentence(event, longest: int | None = None) -> Markup | None:
    """The words of an event whose detail completes a sentence (services.labels.EVENT_SENTENCES),
    the detail in its place and marked (cut to `longest` characters); None for the others, shown as
    their label and detail."""
    sentence = EVENT_SENTENCES.get(event.action)
    if sentence is None or not event.detail:
        return None
    words, others = sentence
    text = event_detail(event)
    if longest is not None and len(text) > longest:
        text = text[:longest - 1] + "…"
    detail = Markup('<span class="detail">%s</span>') % text
    return Markup(escape(str(words))) % {**{name: str(value) for name, value in others.items()}, "detail": detail}


def template_url_for(endpoint: str, **values) -> str:
    """The templates' url_for: a page's own links (the navigation's, a static file's) built once per
    process and root, not on every page (werkzeug builds a URL in about 20 µs; the layout has twenty).
    A link with values other than a static file's name is built each time, as are relative endpoints
    (".index": the request's blueprint) and URLs outside a request (e-mails: _external)."""
    if (endpoint.startswith(".") or not has_request_context()
            or (values and (endpoint != "static" or set(values) != {"filename"}))):
        return url_for(endpoint, **values)
    built = current_app.extensions.setdefault("template_urls", {})
    key = (request.script_root, endpoint, values.get("filename"))
    url = built.get(key)
    if url is None:
        url = built[key] = url_for(endpoint, **values)
    return url


def template_globals() -> dict:
    return {
        "url_for": template_url_for,
        "ROLE_LABELS": ROLE_LABELS, "CHANNEL_LABELS": CHANNEL_LABELS, "STATE_LABELS": STATE_LABELS,
        "LEVEL_LABELS": LEVEL_LABELS, "DEADLINE_LABELS": DEADLINE_LABELS, "EVENT_LABELS": EVENT_LABELS,
        "KIND_LABELS": KIND_LABELS, "SATISFACTION_LABELS": SATISFACTION_LABELS, "CONTACT_LABELS": CONTACT_LABELS,
        "PLAN_STATE_LABELS": PLAN_STATE_LABELS, "CAPA_STATE_LABELS": CAPA_STATE_LABELS, "DEADLINE_KINDS": DeadlineKind,
        "WORK_GROUP_LABELS": WORK_GROUP_LABELS,
        "policy": policy, "current_locale": current_locale, "waits_on": waits_on,
        "is_overdue": deadlines.is_overdue, "masked_numbers": identity.masked_numbers,
        "mask_contact": identity.mask_contact, "now": clock.now, "time_left": time_left, "home_url": home_url,
        "event_detail": event_detail, "event_sentence": event_sentence,
        "extra_values": custom_fields.values_of, "organisation_name": org_settings.display_name,
        "NATURE_LABELS": NATURE_LABELS, "keeps_record": org_settings.keeps,
    }


def template_filters() -> dict:
    return {"local_dt": local_datetime, "without_links": without_links}
