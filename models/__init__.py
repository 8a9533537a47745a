"""All models, importable from one place (Alembic and the app see the same metadata)."""
from models.complaint import (Answer, Category, Channel, Complaint, ComplaintEvent, ComplaintState, ContactChannel,
                              ContactLog, DailyCounter, Deadline, DeadlineKind, Extension, Incident, Kind, Level,
                              Plan, PlanState, ProgressNote, ReturnVisit, RoutingRule, Satisfaction)
from models.improvement import CauseKind, CorrectiveAction
from models.org import Role, Unit, UnitKind, User
from models.outbox import OutboxMessage, OutboxState
from models.rules import CalendarOverride, DeadlineRule

__all__ = [
    "Answer", "Category", "Channel", "Complaint", "ComplaintEvent", "ComplaintState", "ContactChannel",
    "ContactLog", "DailyCounter", "Deadline", "DeadlineKind", "Extension", "Incident", "Kind", "Level", "Plan", "PlanState",
    "ProgressNote", "ReturnVisit", "RoutingRule",
    "Satisfaction", "Role", "Unit", "UnitKind", "User",
    "OutboxMessage", "OutboxState", "CalendarOverride", "DeadlineRule", "CauseKind", "CorrectiveAction",
]
