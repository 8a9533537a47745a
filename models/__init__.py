"""All models, importable from one place (Alembic and the app see the same metadata)."""
from models.attachment import Attachment
from models.audit import AdminAuditEntry
from models.complaint import (Answer, Category, Channel, Complaint, ComplaintEvent, ComplaintState, ContactChannel,
                              ContactLog, DailyCounter, Deadline, DeadlineKind, Extension, Incident, ComplaintKind, Level,
                              ObjectRoutingRule, Plan, PlanState, ProgressNote, ReturnVisit, RoutingRule, Satisfaction)
from models.customer import CustomerAccess, CustomerMessage, MessageDirection, NoticeKind, NoticeTemplate
from models.improvement import CauseKind, CorrectiveAction
from models.org import Role, Unit, UnitKind, User
from models.outbox import OutboxMessage, OutboxState
from models.rules import CalendarOverride, DeadlineRule
from models.session import UserSession
from models.similarity import ComplaintTerms, WaveAlert, WaveAlertMember

__all__ = [
    "AdminAuditEntry", "Attachment",
    "Answer", "Category", "Channel", "Complaint", "ComplaintEvent", "ComplaintState", "ContactChannel",
    "ContactLog", "DailyCounter", "Deadline", "DeadlineKind", "Extension", "Incident", "Kind", "Level", "Plan", "PlanState",
    "ObjectRoutingRule", "ProgressNote", "ReturnVisit", "RoutingRule",
    "Satisfaction", "Role", "Unit", "UnitKind", "User",
    "OutboxMessage", "OutboxState", "CalendarOverride", "DeadlineRule", "UserSession",
    "CustomerAccess", "CustomerMessage", "MessageDirection", "NoticeKind", "NoticeTemplate",
    "CauseKind", "CorrectiveAction", "ComplaintTerms", "WaveAlert", "WaveAlertMember",
]
