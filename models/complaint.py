"""A complaint, its answers, deadlines and history (timeline + audit)."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Optional

from decimal import Decimal

from sqlalchemy import DDL, JSON, ColumnElement, Date, ForeignKey, Index, Numeric, String, Text, event, or_
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.org import Unit, User, enum_column


class Channel(str, enum.Enum):
    PHONE = "phone"
    HOTLINE = "hotline"
    EMAIL = "email"
    WEB = "web"
    COUNTER = "counter"
    LETTER = "letter"
    SOCIAL_MEDIA = "social_media"
    REGULATOR = "regulator"
    MEDIA = "media"
    INTERNAL = "internal"
    APP = "app"                      # through the API, with a channel's key
    MINI_PROGRAM = "mini_program"
    PARTNER = "partner"


class ComplaintState(str, enum.Enum):
    REGISTERED = "registered"       # recorded (or reopened for a second handling), waiting to be dispatched
    DISPATCHED = "dispatched"       # a department is handling it
    ANSWERED = "answered"           # the department answered; the owner decides
    AWAITING_VISIT = "awaiting_visit"   # the customer has the result; the return visit (回访) is due
    WITH_LEADER = "with_leader"     # unsatisfied after the second handling: the leader decides
    CLOSED = "closed"


class ComplaintKind(str, enum.Enum):
    ROUTINE = "routine"             # 常规
    DISCOVERED = "discovered"       # 发掘性: found by staff
    CONCENTRATED = "concentrated"   # 集中性: many customers hit by one incident


class ComplaintNature(str, enum.Enum):
    """What the customer brings (客户投诉/建议信息登记处理单): a complaint, or a suggestion handled by the
    same flow and counted apart. Only organisations whose profile keeps suggestions register the latter."""
    COMPLAINT = "complaint"     # 投诉
    SUGGESTION = "suggestion"   # 建议


class Satisfaction(str, enum.Enum):
    A = "A"   # very satisfied
    B = "B"   # satisfied
    C = "C"   # basically satisfied
    D = "D"   # unsatisfied


class PlanState(str, enum.Enum):
    PENDING = "pending"     # waiting for the branch head's (or leader's) approval
    APPROVED = "approved"
    REJECTED = "rejected"


class ContactChannel(str, enum.Enum):
    PHONE = "phone"
    SMS = "sms"
    EMAIL = "email"
    LETTER = "letter"
    IN_PERSON = "in_person"


class Level(int, enum.Enum):
    SERIOUS = 1
    MODERATE = 2
    MINOR = 3


class DeadlineKind(str, enum.Enum):
    DISPATCH = "dispatch"               # route to the responsible unit
    ANSWER = "answer"                   # the department's answer to a routed complaint
    FIRST_RESPONSE = "first_response"   # first contact with the customer, by level
    RESOLUTION = "resolution"           # plan or result to the customer, by level
    RETURN_VISIT = "return_visit"       # 回访 within 2 working days of the result
    FINAL_DECISION = "final_decision"   # the regulatory ceiling: 15 calendar days from receipt
    PROGRESS = "progress"               # a progress note on an open major complaint, every 30 working minutes
    REVIEW = "review"                   # 核查: a review case is decided within 30 days of the request
    REGISTRATION = "registration"       # registered within 15 minutes of receipt
    PLAN_APPROVAL = "plan_approval"     # the approver decides on a major complaint's plan in 1 working day
    AGREED = "agreed"                   # the resolution date agreed with the customer in the plan
    CAPA_SIGNOFF = "capa_signoff"       # the 分管领导 signs off the department's 纠正及预防措施记录表
    CAPA_RECORD = "capa_record"         # the department submits its 纠正及预防措施记录表 within 3 days of receipt


class Category(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)

    def display_name(self, locale: str) -> str:
        return self.name if locale.startswith("zh") else self.name_en


class RoutingRule(db.Model):
    """Which unit a complaint of a category is suggested to go to (the category's department), unless
    an ObjectRoutingRule matches what the complaint is about."""
    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))

    category: Mapped[Category] = relationship()
    unit: Mapped[Unit] = relationship()


class ObjectRoutingRule(db.Model):
    """Routing by what a complaint is about (投诉对象), ahead of its category's department: a complaint
    about `object_unit` and/or whose object text contains `object_keyword` (either or both; both must
    then match), in `category` or in any category when that is None, is suggested to go to `unit`.
    The most specific matching rule wins (services.routing.suggested_department)."""
    __tablename__ = "object_routing_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[Optional[int]] = mapped_column(ForeignKey("category.id"))
    object_unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"))
    object_keyword: Mapped[Optional[str]] = mapped_column(String(100))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))

    category: Mapped[Optional[Category]] = relationship()
    object_unit: Mapped[Optional[Unit]] = relationship(foreign_keys=[object_unit_id])
    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])

    def describe(self, locale: str) -> str:
        """What the rule matches, for people: the unit complained about and/or the word."""
        parts = [self.object_unit.display_name(locale)] if self.object_unit else []
        if self.object_keyword:
            parts.append(self.object_keyword)
        return " · ".join(parts)


class Incident(db.Model):
    """One cause (an outage, a product fault) behind many customers' complaints: counted once in
    incident statistics, and each complaint individually in complaint statistics."""
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    opened_at: Mapped[datetime]
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    closed_at: Mapped[Optional[datetime]]

    opened_by: Mapped[User] = relationship()


class DailyCounter(db.Model):
    """Per-day sequence behind the human-readable complaint number TS-YYYYMMDD-NNNN."""
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


# What the statistics group and count (services/statistics.py), carried in the registration index.
STATISTICS_COLUMNS = [
    "unit_id", "owner_id", "handling_unit_id", "category_id", "channel", "level", "kind", "state", "satisfaction",
    "collective", "litigation", "media", "compensation", "repeated", "regulator_forwarded", "valid", "round",
    "incident_id", "review_of_id", "withdrawn_at", "received_at", "closed_at", "next_due_at", "nature"]


CUSTOMER_NUMBER_COLUMNS = ("customer_mobile", "customer_id_number", "customer_account")


class Complaint(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    # The registration form's one-time token: a resubmitted form finds its complaint again.
    submission_token: Mapped[str] = mapped_column(String(64), unique=True)
    version: Mapped[int] = mapped_column(default=1)
    state: Mapped[ComplaintState] = mapped_column(enum_column(ComplaintState), default=ComplaintState.REGISTERED)

    customer_name: Mapped[str] = mapped_column(String(100))
    customer_contact: Mapped[str] = mapped_column(String(254))
    customer_ref: Mapped[Optional[str]] = mapped_column(String(64))
    # Who the customer is (services.identity): normalised, so every earlier complaint is found by one.
    customer_mobile: Mapped[Optional[str]] = mapped_column(String(11))
    customer_id_number: Mapped[Optional[str]] = mapped_column(String(18))
    customer_account: Mapped[Optional[str]] = mapped_column(String(19))
    channel: Mapped[Channel] = mapped_column(enum_column(Channel))
    received_at: Mapped[datetime]
    registered_at: Mapped[datetime]
    updated_at: Mapped[Optional[datetime]]
    content: Mapped[str] = mapped_column(Text)
    demand: Mapped[str] = mapped_column(Text)
    object_text: Mapped[str] = mapped_column(String(200))
    # 回避: the unit and staff member the complaint is about never handle it.
    object_unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"))
    object_user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    withdrawn_at: Mapped[Optional[datetime]]
    withdrawal_reason: Mapped[Optional[str]] = mapped_column(Text)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    level: Mapped[int]
    kind: Mapped[ComplaintKind] = mapped_column(enum_column(ComplaintKind), default=ComplaintKind.ROUTINE)
    nature: Mapped[ComplaintNature] = mapped_column(enum_column(ComplaintNature), default=ComplaintNature.COMPLAINT,
                                                    server_default=ComplaintNature.COMPLAINT.value)
    # Severity criteria ticked at intake; `repeated` is set by the detection of 3+ complainants.
    collective: Mapped[bool] = mapped_column(default=False)
    collective_count: Mapped[Optional[int]]   # how many people complain together (a collective one: 5 or more)
    litigation: Mapped[bool] = mapped_column(default=False)
    media: Mapped[bool] = mapped_column(default=False)
    compensation: Mapped[bool] = mapped_column(default=False)
    repeated: Mapped[bool] = mapped_column(default=False)
    regulator_forwarded: Mapped[bool] = mapped_column(default=False)
    # Validity (投诉是否成立): None until judged; a complaint judged not valid is closed, never dropped.
    valid: Mapped[Optional[bool]]
    invalid_reason: Mapped[Optional[str]] = mapped_column(Text)
    round: Mapped[int] = mapped_column(default=1)   # 2 = the second handling after an unsatisfied visit
    unreachable_attempts: Mapped[int] = mapped_column(default=0)   # return-visit calls nobody answered
    result: Mapped[Optional[str]] = mapped_column(Text)          # what the customer was told
    result_given_at: Mapped[Optional[datetime]]
    satisfaction: Mapped[Optional[Satisfaction]] = mapped_column(enum_column(Satisfaction))
    decision: Mapped[Optional[str]] = mapped_column(Text)        # the leader's final decision
    # 集中性: complaints caused by one incident (an outage) are linked to it and handled together.
    incident_id: Mapped[Optional[int]] = mapped_column(ForeignKey("incident.id"), index=True)
    # 核查: a review case points at the complaint whose decision the customer disputes.
    review_of_id: Mapped[Optional[int]] = mapped_column(ForeignKey("complaint.id"), index=True)
    external_channels_told: Mapped[bool] = mapped_column(default=False)

    # First-responsibility: the receiver owns the complaint until it is closed.
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    # Who in the branch handles it now: the owner, until escalated to (or taken over by) a
    # lobby manager or the branch head. The owner stays the owner.
    handler_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    handling_unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"))
    assignee_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    dispatched_at: Mapped[Optional[datetime]]
    answered_at: Mapped[Optional[datetime]]
    closed_at: Mapped[Optional[datetime]]
    # The earliest open deadline, kept here so every queue sorts on one indexed column.
    next_due_at: Mapped[Optional[datetime]]
    # The values of the organisation's own fields, by key (models.custom_field, services.custom_fields).
    extra: Mapped[Optional[dict]] = mapped_column(JSON().with_variant(JSONB(), "postgresql"))

    category: Mapped[Category] = relationship(lazy="joined")
    owner: Mapped[User] = relationship(foreign_keys=[owner_id], lazy="joined")
    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    handler: Mapped[Optional[User]] = relationship(foreign_keys=[handler_id])
    object_unit: Mapped[Optional[Unit]] = relationship(foreign_keys=[object_unit_id])
    object_user: Mapped[Optional[User]] = relationship(foreign_keys=[object_user_id])
    incident: Mapped[Optional[Incident]] = relationship()
    review_of: Mapped[Optional[Complaint]] = relationship(remote_side=[id], foreign_keys=[review_of_id],
                                                          back_populates="reviews")
    reviews: Mapped[list[Complaint]] = relationship(foreign_keys=[review_of_id], back_populates="review_of")
    handling_unit: Mapped[Optional[Unit]] = relationship(foreign_keys=[handling_unit_id])
    assignee: Mapped[Optional[User]] = relationship(foreign_keys=[assignee_id])
    deadlines: Mapped[list[Deadline]] = relationship(back_populates="complaint", order_by="Deadline.id")
    answers: Mapped[list[Answer]] = relationship(back_populates="complaint", order_by="Answer.id")
    contacts: Mapped[list[ContactLog]] = relationship(order_by="ContactLog.id")
    notes: Mapped[list[ProgressNote]] = relationship(order_by="ProgressNote.id")
    extensions: Mapped[list[Extension]] = relationship(order_by="Extension.id")
    visits: Mapped[list[ReturnVisit]] = relationship(order_by="ReturnVisit.id")
    plans: Mapped[list[Plan]] = relationship(back_populates="complaint", order_by="Plan.id")
    # Its terms (models.similarity), written by registration and read only: its page loads them with
    # it (joinedload) for the similar complaints, one statement fewer. Never read by attribute.
    terms_row: Mapped[Optional["ComplaintTerms"]] = relationship(viewonly=True, lazy="raise")  # noqa: F821

    # Optimistic locking: every transition raises the version itself (services.complaints._check),
    # and each UPDATE is conditional on the version read, so a concurrent change is never overwritten.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}
    __table_args__ = (
        # The queues read open complaints only, the nearest deadline first: partial indexes keep
        # their cost to the open ones however many closed complaints the years pile up.
        Index("ix_complaint_open_unit_due", "unit_id", "next_due_at", "id",
              sqlite_where=db.text("state != 'closed'"), postgresql_where=db.text("state != 'closed'")),
        Index("ix_complaint_open_handling_unit", "handling_unit_id", "next_due_at", "id",
              sqlite_where=db.text("state != 'closed'"), postgresql_where=db.text("state != 'closed'")),
        # (With the state: the overview counts the open complaints by state from this index alone.)
        Index("ix_complaint_open_due", "next_due_at", "id", postgresql_include=["state"],
              sqlite_where=db.text("state != 'closed'"), postgresql_where=db.text("state != 'closed'")),
        # 待我处理 asks for the open complaints a person owns or handles: without these two, each of its
        # groups read every open complaint (4,900 at 1,000,000, measured) to pick out one person's.
        Index("ix_complaint_open_owner", "owner_id",
              sqlite_where=db.text("state != 'closed'"), postgresql_where=db.text("state != 'closed'")),
        Index("ix_complaint_open_handler", "handler_id",
              sqlite_where=db.text("state != 'closed'"), postgresql_where=db.text("state != 'closed'")),
        # Whether any complaint registered in a window is still open: the similar cases of a complaint's
        # page are open ones of the window around it, and around an old complaint there are none.
        Index("ix_complaint_open_registered", "registered_at",
              sqlite_where=db.text("state != 'closed'"), postgresql_where=db.text("state != 'closed'")),
        # The return visits due (the service center's 待我处理 and the counts on its every page): read
        # from the open ones' index, they took 3.7 ms of the center's 9.5 ms counts at 1,000,000.
        Index("ix_complaint_awaiting_visit", "next_due_at", "id",
              sqlite_where=db.text("state = 'awaiting_visit'"), postgresql_where=db.text("state = 'awaiting_visit'")),
        # The statistics read a period's complaints by registration time; on PostgreSQL the columns
        # they group and count are included, so a month of a million-row table is an index-only scan.
        Index("ix_complaint_registered", "registered_at", "id", postgresql_include=STATISTICS_COLUMNS),
        # Repeat detection looks for the same object and category within a window.
        Index("ix_complaint_repeat", "category_id", "object_text", "registered_at"),
        # The ledger: a unit's complaints (registered there, or handled by the department) and the
        # level order, each newest first, so every page is an index range read (keyset pagination).
        Index("ix_complaint_unit_registered", "unit_id", "registered_at", "id"),
        Index("ix_complaint_handling_registered", "handling_unit_id", "registered_at", "id"),
        Index("ix_complaint_level_registered", "level", "registered_at", "id"),
        # The ledger's filter on suggestions (rare): their own index range, newest first.
        Index("ix_complaint_nature_registered", "nature", "registered_at", "id"),
        # A customer's complaints by any of their numbers, newest first (the history, the customer page);
        # partial, since most complaints lack an ID or account number.
        *(Index(f"ix_complaint_{column}", column, "registered_at", "id",
                sqlite_where=db.text(f"{column} IS NOT NULL"), postgresql_where=db.text(f"{column} IS NOT NULL"))
          for column in CUSTOMER_NUMBER_COLUMNS),
        # The ledger's search (ILIKE '%…%') on PostgreSQL; SQLite scans. Trigrams for three characters
        # or more; for two, the commonest search in Chinese (a name: 王五), of which trigrams know
        # nothing, the name's and the text's character pairs (text_pairs, below).
        *(Index(f"ix_complaint_{column}_trgm", column, postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"}).ddl_if(dialect="postgresql")
          for column in ("number", "customer_name", "content")),
        *(Index(f"ix_complaint_{column}_pairs", db.text(f"text_pairs({column})"),
                postgresql_using="gin").ddl_if(dialect="postgresql")
          for column in ("customer_name", "content")),
        # The organisation's own fields (services.custom_fields): the ledger's filters on them are
        # containment tests (extra @> '{"key": "value"}') this index serves; SQLite scans.
        Index("ix_complaint_extra_gin", "extra", postgresql_using="gin").ddl_if(dialect="postgresql"),
    )

    @hybrid_property
    def is_major(self) -> bool:
        """Major (重大) when any criterion of the spec holds; the same rule as a SQL condition below."""
        return any((self.collective, self.litigation, self.media, self.compensation, self.repeated))

    @is_major.inplace.expression
    @classmethod
    def _is_major_condition(cls) -> ColumnElement[bool]:
        return or_(cls.collective, cls.litigation, cls.media, cls.compensation, cls.repeated)

    @property
    def latest_answer(self) -> Optional[Answer]:
        return self.answers[-1] if self.answers else None

    @property
    def current_plan(self) -> Optional[Plan]:
        """The newest plan of the current round (a rejected one stays until a new one is made)."""
        plans = [p for p in self.plans if p.round == self.round]
        return plans[-1] if plans else None

    @property
    def plan_cleared(self) -> bool:
        """A major complaint moves on only with an approved plan for the current round."""
        return not self.is_major or (self.current_plan is not None and self.current_plan.state == PlanState.APPROVED)

    def open_deadline(self, kind: DeadlineKind) -> Optional[Deadline]:
        for deadline in reversed(self.deadlines):
            if deadline.kind == kind and deadline.met_at is None:
                return deadline
        return None


class Deadline(db.Model):
    """One clock on a complaint. The worker's reminders are claimed on this row, exactly once."""
    id: Mapped[int] = mapped_column(primary_key=True)
    # No index of its own: ix_deadline_complaint_clock starts with it (one index fewer to write on
    # every claim of a notice, which updates the row).
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"))
    kind: Mapped[DeadlineKind] = mapped_column(enum_column(DeadlineKind))
    round: Mapped[int] = mapped_column(default=1)
    started_at: Mapped[datetime]
    due_at: Mapped[datetime]
    remind_at: Mapped[datetime]
    met_at: Mapped[Optional[datetime]]
    reminded_at: Mapped[Optional[datetime]]
    overdue_notified_at: Mapped[Optional[datetime]]
    escalate_at: Mapped[Optional[datetime]]      # a second miss: notice one level higher
    escalated_at: Mapped[Optional[datetime]]

    complaint: Mapped[Complaint] = relationship(back_populates="deadlines")

    __table_args__ = (
        # The sweep's two questions, each answered from a partial index of what is still pending,
        # so its cost follows what is due and not the size of the table.
        Index("ix_deadline_remind_pending", "remind_at",
              sqlite_where=db.text("met_at IS NULL AND reminded_at IS NULL"),
              postgresql_where=db.text("met_at IS NULL AND reminded_at IS NULL")),
        Index("ix_deadline_overdue_pending", "due_at",
              sqlite_where=db.text("met_at IS NULL AND overdue_notified_at IS NULL"),
              postgresql_where=db.text("met_at IS NULL AND overdue_notified_at IS NULL")),
        Index("ix_deadline_escalation_pending", "escalate_at",
              sqlite_where=db.text("met_at IS NULL AND escalated_at IS NULL"),
              postgresql_where=db.text("met_at IS NULL AND escalated_at IS NULL")),
        # The running clocks of one kind by due time: the service center's return visits due today.
        Index("ix_deadline_open_kind_due", "kind", "due_at",
              sqlite_where=db.text("met_at IS NULL"), postgresql_where=db.text("met_at IS NULL")),
        # The statistics' on-time rates read a period's clocks without touching the table (PostgreSQL) ...
        Index("ix_deadline_complaint_clock", "complaint_id", "kind", postgresql_include=["due_at", "met_at"]),
        # ... and ask of every closed complaint whether its regulatory ceiling was missed: a small index.
        Index("ix_deadline_missed_ceiling", "complaint_id",
              sqlite_where=db.text("kind = 'final_decision' AND met_at > due_at"),
              postgresql_where=db.text("kind = 'final_decision' AND met_at > due_at")),
    )

    def is_overdue(self, now: datetime) -> bool:
        return (self.met_at or now) > self.due_at


class Answer(db.Model):
    """A department's answer; one per round, kept when the owner sends it back."""
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    round: Mapped[int] = mapped_column(default=1, server_default="1")
    cause: Mapped[str] = mapped_column(Text)
    result: Mapped[str] = mapped_column(Text)
    corrective_action: Mapped[str] = mapped_column(Text)
    preventive_action: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime]
    returned_at: Mapped[Optional[datetime]]
    return_comment: Mapped[Optional[str]] = mapped_column(Text)

    complaint: Mapped[Complaint] = relationship(back_populates="answers")
    author: Mapped[User] = relationship()
    unit: Mapped[Unit] = relationship()


class ComplaintEvent(db.Model):
    """The complaint's history: every change (the timeline) and every view (the audit)."""
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"))
    at: Mapped[datetime]
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))  # None: the system
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[Optional[str]] = mapped_column(Text)
    remote_addr: Mapped[Optional[str]] = mapped_column(String(64))
    # What the change did to the complaint: {"field": [before, after], ...}; None for views.
    changes: Mapped[Optional[dict]] = mapped_column(JSON)

    actor: Mapped[Optional[User]] = relationship(lazy="joined")

    # Append-only: on PostgreSQL a trigger refuses UPDATE and DELETE (models/audit.py).
    __table_args__ = (Index("ix_complaint_event_complaint", "complaint_id", "id"),
                      # The audit page filters by time, and by user or action within a time range.
                      Index("ix_complaint_event_at", "at", "id"),
                      Index("ix_complaint_event_actor_at", "actor_id", "at"))


class ContactLog(db.Model):
    """Each call, SMS, e-mail, letter or visit to the customer, with what was said."""
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)
    at: Mapped[datetime]
    actor_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    channel: Mapped[ContactChannel] = mapped_column(enum_column(ContactChannel))
    content: Mapped[str] = mapped_column(Text)

    actor: Mapped[User] = relationship(lazy="joined")


class ReturnVisit(db.Model):
    """回访: who called, when, the customer's rating and comment."""
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)
    round: Mapped[int]
    at: Mapped[datetime]
    visitor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))   # None: the customer, online
    rating: Mapped[Optional[Satisfaction]] = mapped_column(enum_column(Satisfaction))   # None: not reached
    comment: Mapped[str] = mapped_column(Text)

    visitor: Mapped[Optional[User]] = relationship(lazy="joined")


class Plan(db.Model):
    """处理方案: concrete steps, the responsible person, the due date and any compensation."""
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)
    round: Mapped[int]
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    steps: Mapped[str] = mapped_column(Text)
    responsible: Mapped[str] = mapped_column(String(100))
    due_date: Mapped[date] = mapped_column(Date)
    compensation: Mapped[Optional[Decimal]] = mapped_column(Numeric(12, 2))
    submitted_at: Mapped[datetime]
    state: Mapped[PlanState] = mapped_column(enum_column(PlanState), default=PlanState.PENDING)
    reviewer_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    reviewed_at: Mapped[Optional[datetime]]
    review_comment: Mapped[Optional[str]] = mapped_column(Text)
    # When the administrators were told that nobody may approve it (services.stuck_plans): once per plan.
    admins_told_at: Mapped[Optional[datetime]]

    complaint: Mapped[Complaint] = relationship(back_populates="plans")
    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="joined")
    reviewer: Mapped[Optional[User]] = relationship(foreign_keys=[reviewer_id])

    __table_args__ = (Index("ix_plan_pending", "state", "submitted_at"),)


class ProgressNote(db.Model):
    """What was done on the case; open major complaints need one every 30 working minutes."""
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)
    at: Mapped[datetime]
    actor_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    text: Mapped[str] = mapped_column(Text)

    actor: Mapped[User] = relationship(lazy="joined")


class Extension(db.Model):
    """An extension of the regulatory ceiling: to 30 days, then (with the leader) 30 more."""
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)
    at: Mapped[datetime]
    actor_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    reason: Mapped[str] = mapped_column(Text)
    new_due_at: Mapped[datetime]
    customer_told: Mapped[bool] = mapped_column(default=False)

    actor: Mapped[User] = relationship(lazy="joined")


# "My complaints" (blueprints/intake): one's own and those one is assigned, each in the list's order
# (open ones by deadline, closed ones newest first), so that PostgreSQL merges the two index ranges and
# stops at the page: sorting all of them took 320 ms for 170,000. (Here: `id DESC` needs the column.)
Index("ix_complaint_owner_due", Complaint.owner_id, Complaint.next_due_at, Complaint.id.desc())
Index("ix_complaint_assignee_due", Complaint.assignee_id, Complaint.next_due_at, Complaint.id.desc(),
      sqlite_where=db.text("assignee_id IS NOT NULL"), postgresql_where=db.text("assignee_id IS NOT NULL"))

# The pairs of consecutive characters of a text, lowered: 王五的ATM → {王五, 五的, 的a, at, tm}. A
# text holds a two-character search if its pairs hold it (ILIKE lowers both sides as lower() does).
# (Not for longer searches: the planner takes their pairs for independent and expects a frequent
# phrase to be rare.) PL/pgSQL: 20 µs for a complaint's text, where the same in SQL took 88. Costed
# high so that the planner reads the index rather than computing the pairs row by row.
TEXT_PAIRS = """CREATE OR REPLACE FUNCTION text_pairs(value text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $$
DECLARE
    lowered text := lower(value);
    pairs text[] := '{}';
BEGIN
    FOR i IN 1 .. char_length(lowered) - 1 LOOP
        pairs := pairs || substr(lowered, i, 2);
    END LOOP;
    RETURN pairs;
END $$"""

# The indexes above need the trigram extension and text_pairs first (create_all in tests; the
# migrations do the same).
event.listen(Complaint.__table__, "before_create",
             DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"))
event.listen(Complaint.__table__, "before_create", DDL(TEXT_PAIRS).execute_if(dialect="postgresql"))


def schema_filter(dialect: str):
    """Alembic's include_object for `dialect`: skips the indexes limited to another database (ddl_if)."""
    def include_object(obj, _name, type_, _reflected, _compare_to) -> bool:
        condition = getattr(obj, "_ddl_if", None) if type_ == "index" else None
        return condition is None or condition.dialect in (None, dialect)
    return include_object
