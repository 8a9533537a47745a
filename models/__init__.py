"""All models, importable from one place (Alembic and the app see the same metadata)."""
from models.api import ApiChannel, ApiFiling, ApiKey, ApiScope
from models.attachment import Attachment
from models.capa import CapaRecord, CapaState
from models.audit import AdminAuditEntry
from models.complaint import (Answer, Category, Channel, Complaint, ComplaintEvent, ComplaintState, ContactChannel,
                              ContactLog, DailyCounter, Deadline, DeadlineKind, Extension, Incident, ComplaintKind, ComplaintNature,
                              Level,
                              ObjectRoutingRule, Plan, PlanState, ProgressNote, ReturnVisit, RoutingRule, Satisfaction)
from models.custom_field import CustomField, FieldType
from models.customer import (ContactKind, CustomerAccess, CustomerMessage, MessageDirection, NoticeKind, NoticeTemplate,
                             SmsTemplate)
from models.inbound import InboundMail
from models.improvement import CauseKind, CorrectiveAction
from models.org import Organisation, Role, Unit, UnitKind, User
from models.penalty import Penalty, PenaltyState
from models.periodic import PeriodicReport, ReportKind
from models.records import StatisticsSheetMailing
from models.outbox import OutboxChannel, OutboxMessage, OutboxState
from models.rules import CalendarOverride, DeadlineRule, RuleSetting, SettingsVersion
from models.session import UserSession
from models.survey import SurveyItem, SurveyRecipient, SurveyRound
from models.similarity import ComplaintTerms, WaveAlert, WaveAlertMember

__all__ = [
    "AdminAuditEntry", "CapaRecord", "CapaState", "ApiChannel", "ApiFiling", "ApiKey", "ApiScope", "Attachment",
    "Answer", "Category", "Channel", "Complaint", "ComplaintEvent", "ComplaintState", "ContactChannel",
    "ContactLog", "DailyCounter", "Deadline", "DeadlineKind", "Extension", "Incident", "Kind", "ComplaintNature", "Level", "Plan", "PlanState",
    "ObjectRoutingRule", "ProgressNote", "ReturnVisit", "RoutingRule",
    "Satisfaction", "Organisation", "Role", "Unit", "UnitKind", "User",
    "OutboxChannel", "OutboxMessage", "OutboxState", "CalendarOverride", "DeadlineRule", "RuleSetting", "SettingsVersion", "UserSession",
    "ContactKind", "CustomerAccess", "CustomerMessage", "MessageDirection", "NoticeKind", "NoticeTemplate", "SmsTemplate",
    "StatisticsSheetMailing", "CauseKind", "CustomField", "FieldType", "CorrectiveAction", "InboundMail", "ComplaintTerms", "WaveAlert", "WaveAlertMember",
    "SurveyItem", "SurveyRecipient", "SurveyRound",
    "Penalty", "PenaltyState",
    "PeriodicReport", "ReportKind",
]
