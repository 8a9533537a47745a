"""The words for every code the product shows: the labels of the domain's enums and of the recorded
actions, in the user's language. One home below the services, so that pages, exports, e-mails and
reports all say the same. Every label is lazy: the language is chosen when it is rendered."""
from config import LANGUAGES
from extensions import lazy_gettext as _l
from models import (ApiChannel, ApiScope, CapaState, CauseKind, Channel, ComplaintKind, ComplaintNature, ComplaintState,
                    ContactChannel, ContactKind, DeadlineKind, FieldType, NoticeKind, OutboxChannel, OutboxState,
                    PenaltyState, PlanState, ReportKind, Role, Satisfaction, SurveyItem, UnitKind)

ROLE_LABELS = {
    Role.STAFF: _l("First-contact staff"), Role.LOBBY_MANAGER: _l("Lobby manager"),
    Role.BRANCH_HEAD: _l("Branch head"), Role.DEPT_STAFF: _l("Department staff"),
    Role.DEPT_HEAD: _l("Department head"), Role.CENTER: _l("Customer service center"),
    Role.LEADER: _l("Leader"), Role.ADMIN: _l("Administrator"),
}
CHANNEL_LABELS = {
    Channel.PHONE: _l("Phone"), Channel.HOTLINE: _l("Hotline"), Channel.EMAIL: _l("E-mail"),
    Channel.WEB: _l("Web form"), Channel.COUNTER: _l("Counter / in person"), Channel.LETTER: _l("Letter"),
    Channel.SOCIAL_MEDIA: _l("Social media"), Channel.REGULATOR: _l("Regulator / consumer association"),
    Channel.MEDIA: _l("Media"), Channel.INTERNAL: _l("Internal discovery"),
    Channel.APP: _l("Mobile app"), Channel.MINI_PROGRAM: _l("Mini-program"), Channel.PARTNER: _l("Partner"),
}
API_CHANNEL_LABELS = {ApiChannel.HOTLINE: _l("Hotline"), ApiChannel.APP: _l("Mobile app"),
                      ApiChannel.MINI_PROGRAM: _l("Mini-program"), ApiChannel.PARTNER: _l("Partner")}
API_SCOPE_LABELS = {ApiScope.CREATE: _l("File complaints"), ApiScope.ADD: _l("Add information and evidence"),
                    ApiScope.READ: _l("Read status, timeline and a customer's complaints")}
STATE_LABELS = {
    ComplaintState.REGISTERED: _l("Registered"), ComplaintState.DISPATCHED: _l("With the handling unit"),
    ComplaintState.ANSWERED: _l("Answered"), ComplaintState.AWAITING_VISIT: _l("Awaiting return visit"),
    ComplaintState.WITH_LEADER: _l("Awaiting the leader's decision"), ComplaintState.CLOSED: _l("Closed"),
}
LEVEL_LABELS = {1: _l("Level 1 (serious)"), 2: _l("Level 2 (moderate)"), 3: _l("Level 3 (minor)")}
KIND_LABELS = {ComplaintKind.ROUTINE: _l("Routine"), ComplaintKind.DISCOVERED: _l("Discovered by staff"),
               ComplaintKind.CONCENTRATED: _l("Concentrated incident")}
NATURE_LABELS = {ComplaintNature.COMPLAINT: _l("Complaint"), ComplaintNature.SUGGESTION: _l("Suggestion")}
# The same inside a sentence of a notice to the customer ("your {{ matter }} is registered").
MATTER_LABELS = {ComplaintNature.COMPLAINT: _l("complaint"), ComplaintNature.SUGGESTION: _l("suggestion")}
SATISFACTION_LABELS = {Satisfaction.A: _l("A · very satisfied"), Satisfaction.B: _l("B · satisfied"),
                       Satisfaction.C: _l("C · basically satisfied"), Satisfaction.D: _l("D · unsatisfied")}
CONTACT_LABELS = {ContactChannel.PHONE: _l("Phone call"), ContactChannel.SMS: _l("SMS"),
                  ContactChannel.EMAIL: _l("E-mail"), ContactChannel.LETTER: _l("Letter"),
                  ContactChannel.IN_PERSON: _l("In person")}
DEADLINE_LABELS = {
    DeadlineKind.DISPATCH: _l("Dispatch"), DeadlineKind.ANSWER: _l("Department answer"),
    DeadlineKind.FIRST_RESPONSE: _l("First response to the customer"),
    DeadlineKind.RESOLUTION: _l("Plan or result to the customer"),
    DeadlineKind.RETURN_VISIT: _l("Return visit"), DeadlineKind.FINAL_DECISION: _l("Final decision (regulatory)"),
    DeadlineKind.PROGRESS: _l("Progress note (major complaint)"), DeadlineKind.REVIEW: _l("Review decision"),
    DeadlineKind.REGISTRATION: _l("Registration (15 minutes from receipt)"),
    DeadlineKind.PLAN_APPROVAL: _l("Plan approval"),
    DeadlineKind.AGREED: _l("Resolution date agreed with the customer"),
    DeadlineKind.CAPA_SIGNOFF: _l("Sign-off of the corrective and preventive action record"),
    DeadlineKind.CAPA_RECORD: _l("Corrective and preventive action record from the department"),
}
# How a clock counts its period (services.deadlines.counting), as the deadline rules page says it.
COUNTING_LABELS = {
    "calendar": _l("Calendar time"), "working_time": _l("Working time"),
    "working_days": _l("Working days (whole days; the end of the last one)"),
    "working_hours": _l("Working time; after hours, 1 hour after the next opening; on a day off, that day's end"),
}
EVENT_LABELS = {
    "registered": _l("Registered the complaint"), "dispatched": _l("Dispatched to"),
    "answered": _l("Department answered"), "closed": _l("Closed the complaint"),
    "returned": _l("Sent the answer back"), "viewed": _l("Viewed"),
    "judged_invalid": _l("Judged not valid and answered the customer"),
    "result_given": _l("Told the customer the result"), "contacted": _l("Contacted the customer"),
    "visited": _l("Return visit"), "reopened": _l("Reopened for the second handling"),
    "sent_to_leader": _l("Sent to the leader for a final decision"),
    "leader_decided": _l("Final decision by the leader"),
    "major_reported": _l("Major complaint reported to"),
    "repeat_detected": _l("Same complaint from 3 or more customers; major. Complaints counted together:"),
    "repeat_same_object": _l("Counted together by the same object complained about:"),
    "repeat_alike": _l("Counted together as written alike:"),
    "plan_submitted": _l("Submitted a plan for approval"), "plan_recorded": _l("Recorded the plan"),
    "withdrawn": _l("The customer withdrew the complaint"),
    "deadline_changed": _l("Moved a clock by hand"),
    "visit_unreachable": _l("Return visit: the customer could not be reached"),
    "progress_note": _l("Progress note"), "extended": _l("Extended the final decision deadline"),
    "notice_sent": _l("Sent the decision notice"), "review_opened": _l("Review case opened for"),
    "review_requested": _l("The customer asked for a review:"),
    "escalated": _l("Escalated the handling to"), "taken_over": _l("Took over the handling"),
    "assigned": _l("Assigned the handler"),
    "plan_approved": _l("Approved the plan"), "plan_rejected": _l("Rejected the plan"),
    "attachment_added": _l("Attached a file"), "attachment_downloaded": _l("Downloaded a file"),
    # The customer's doings, as staff read them on the complaint's timeline.
    "customer_added": _l("The customer added information on the tracking page:"),
    "customer_mailed": _l("The customer added information by e-mail:"),
    "attachment_refused": _l("A file the customer sent by e-mail was not kept:"),
    "action_recorded": _l("Recorded a corrective action"), "action_done": _l("Corrective action done"),
    "capa_submitted": _l("Submitted the corrective and preventive action record for sign-off"),
    "capa_returned": _l("Sent the corrective and preventive action record back:"),
    "capa_signed_off": _l("Signed off the corrective and preventive action record"),
    "handed_over": _l("Handed over the first responsibility"), "reclassified": _l("Reclassified"),
    "incident_joined": _l("Linked to the incident"),
    "penalty_proposed": _l("Proposed a penalty"), "penalty_accepted": _l("Penalty proposal accepted"),
    "penalty_rejected": _l("Penalty proposal rejected"), "penalty_executed": _l("Penalty executed"),
    "leaders_told": _l("New complaint reported to"), "extra_corrected": _l("Corrected the extra fields"),
    "plan_without_approver": _l("Nobody may approve the plan; reported to"),
}
# The detail of a view (services.timeline.record_view), as the audit shows it.
VIEW_DETAIL_LABELS = {"full_numbers": _l("with the customer's full mobile, ID or account number")}
CAPA_STATE_LABELS = {CapaState.SUBMITTED: _l("Waiting for the sign-off"),
                     CapaState.RETURNED: _l("Sent back to the department"), CapaState.SIGNED_OFF: _l("Signed off")}
# The records list's filter (blueprints.reports.capa), by services.capa.STATUSES.
CAPA_STATUS_LABELS = {"submitted": _l("Waiting for the sign-off"), "returned": _l("Sent back"),
                      "signed_off": _l("Signed off"), "all": _l("All")}
PLAN_STATE_LABELS = {PlanState.PENDING: _l("Waiting for approval"), PlanState.APPROVED: _l("Approved"),
                     PlanState.REJECTED: _l("Rejected")}
# What the clocks record: per deadline kind, its reminder, its overdue notice and its escalation.
for _kind in DeadlineKind:
    EVENT_LABELS[f"reminder_{_kind.value}"] = _l("Reminder, deadline near: %(deadline)s; sent to",
                                                 deadline=DEADLINE_LABELS[_kind])
    EVENT_LABELS[f"overdue_{_kind.value}"] = _l("Overdue: %(deadline)s; notice sent to",
                                                deadline=DEADLINE_LABELS[_kind])
    EVENT_LABELS[f"escalated_{_kind.value}"] = _l("Still overdue: %(deadline)s; escalated to",
                                                  deadline=DEADLINE_LABELS[_kind])

# Details the code writes from parts (stored as "name: the words typed" and "name, name", so rows
# written earlier read the same), joined when shown with the punctuation of the viewer's language
# (blueprints.ui.event_detail): the first ": " of these, and every ", " of the lists of names.
DETAIL_WITH_NOTE = _l("%(label)s: %(value)s")
DETAIL_NOTE_ACTIONS = {"dispatched", "assigned", "escalated", "handed_over", "visited", "action_recorded"}
DETAIL_NAMES = _l("%(first)s, %(next)s")
DETAIL_NAME_ACTIONS = {"leaders_told", "major_reported", "plan_without_approver"} | {
    f"{what}_{kind.value}" for kind in DeadlineKind for what in ("reminder", "overdue", "escalated")}

# The events whose detail completes a sentence (who it went to, a number, a count, the customer's
# words): the sentence with the detail in its place, so that each language puts it where it belongs
# (blueprints.ui.event_sentence). Each with the other words it needs, such as the deadline's name.
EVENT_SENTENCES = {
    "dispatched": (_l("Dispatched the complaint to %(detail)s"), {}),
    "major_reported": (_l("Reported the major complaint to %(detail)s"), {}),
    "leaders_told": (_l("Reported the new complaint to %(detail)s"), {}),
    "plan_without_approver": (_l("Nobody may approve the plan: reported to %(detail)s, who can name someone"), {}),
    "escalated": (_l("Escalated the handling to %(detail)s"), {}),
    "review_opened": (_l("Opened as the review of complaint %(detail)s"), {}),
    "review_requested": (_l("The customer asked for a review, handled as %(detail)s"), {}),
    "repeat_detected": (_l("Same complaint from 3 or more customers, so major: %(detail)s complaints counted "
                           "together"), {}),
    "customer_added": (_l("The customer added on the tracking page: %(detail)s"), {}),
    "repeat_same_object": (_l("Counted together because it is about the same object: %(detail)s"), {}),
    "repeat_alike": (_l("Counted together because it is written alike: %(detail)s"), {}),
}
# The detail of "repeat_alike" (stored as score|threshold|words, blueprints.ui.event_detail).
REPEAT_ALIKE_DETAIL = _l("similarity %(score)s, at least %(threshold)s needed; words shared: %(words)s")
for _kind in DeadlineKind:
    _deadline = {"deadline": DEADLINE_LABELS[_kind]}
    EVENT_SENTENCES[f"reminder_{_kind.value}"] = (_l("Reminded %(detail)s that the deadline “%(deadline)s” is "
                                                     "near"), _deadline)
    EVENT_SENTENCES[f"overdue_{_kind.value}"] = (_l("Told %(detail)s that the deadline “%(deadline)s” has "
                                                    "passed"), _deadline)
    EVENT_SENTENCES[f"escalated_{_kind.value}"] = (_l("The deadline “%(deadline)s” is still missed: escalated "
                                                      "to %(detail)s"), _deadline)


# The complaint's fields as its timeline names them (services.audit records them by column name).
FIELD_LABELS = {
    "number": _l("Complaint number"), "state": _l("State"), "customer_name": _l("Customer name"),
    "customer_contact": _l("Customer contact"), "customer_ref": _l("Customer or account reference"),
    "customer_mobile": _l("Mobile number"), "customer_id_number": _l("ID number"),
    "customer_account": _l("Account or card number"),
    "channel": _l("Channel"), "received_at": _l("Received on"), "registered_at": _l("Registered on"),
    "content": _l("What happened"), "demand": _l("What the customer asks for"),
    "object_text": _l("Complained about"), "object_unit_id": _l("Unit complained about"),
    "object_user_id": _l("Staff member complained about"), "withdrawn_at": _l("Withdrawn on"),
    "withdrawal_reason": _l("Reason for the withdrawal"), "category_id": _l("Category"), "level": _l("Level"),
    "kind": _l("Kind"), "severity": _l("Severity"), "collective": _l("Collective complaint (5 or more people)"),
    "collective_count": _l("People complaining together"),
    "litigation": _l("Litigation threatened or possible"), "media": _l("Exposed by media"),
    "compensation": _l("Compensation involved"), "repeated": _l("Same complaint from 3 or more customers"),
    "regulator_forwarded": _l("Forwarded by a regulator hotline"), "valid": _l("Valid"),
    "invalid_reason": _l("Why it is not valid"), "round": _l("Handling round"),
    "unreachable_attempts": _l("Return-visit calls not answered"), "result": _l("Result told to the customer"),
    "result_given_at": _l("Result told on"), "satisfaction": _l("Satisfaction"),
    "decision": _l("The leader's final decision"), "incident_id": _l("Incident"),
    "review_of_id": _l("Review of"), "external_channels_told": _l("Told of the external channels"),
    "owner_id": _l("First-responsible owner"), "unit_id": _l("Receiving unit"), "handler_id": _l("Handled by"),
    "handling_unit_id": _l("Handling department"), "assignee_id": _l("Assigned to"),
    "dispatched_at": _l("Dispatched on"), "answered_at": _l("Answered on"), "closed_at": _l("Closed on"),
    "extra": _l("Extra fields"),
}
FIELD_TYPE_LABELS = {FieldType.TEXT: _l("Text"), FieldType.NUMBER: _l("Number"), FieldType.MONEY: _l("Money (yuan)"),
                     FieldType.DATE: _l("Date"), FieldType.CHOICE: _l("Choice")}
SEVERITY_LABELS = {"major": _l("Major"), "general": _l("General")}
UNIT_KIND_LABELS = {UnitKind.HEAD_OFFICE: _l("Head office"), UnitKind.BRANCH: _l("Branch"),
                    UnitKind.DEPARTMENT: _l("Department"), UnitKind.SERVICE_CENTER: _l("Customer service center")}
CAUSE_LABELS = {
    CauseKind.STAFF: _l("Staff (attitude, skill, rules broken)"), CauseKind.PROCESS: _l("Rules and process"),
    CauseKind.SYSTEM: _l("System or equipment"), CauseKind.PRODUCT: _l("Product, pricing or fees"),
    CauseKind.FACILITY: _l("Premises and facilities"), CauseKind.THIRD_PARTY: _l("Partner or outsourcer"),
    CauseKind.MISUNDERSTANDING: _l("Customer misunderstanding"), CauseKind.OTHER: _l("Other"),
}
ADMIN_ACTION_LABELS = {
    "unit_created": _l("Created a unit"), "unit_changed": _l("Renamed or moved a unit"),
    "unit_activated": _l("Reactivated a unit"), "unit_deactivated": _l("Deactivated a unit"),
    "unit_deleted": _l("Deleted a unit"), "unit_hours_changed": _l("Changed a unit's working hours"),
    "user_created": _l("Created a user"), "user_changed": _l("Changed a user"),
    "user_disabled": _l("Disabled a user"), "user_enabled": _l("Enabled a user"),
    "password_reset": _l("Reset a password"), "category_created": _l("Created a category"),
    "category_changed": _l("Changed a category or its routing"), "rule_changed": _l("Changed a deadline rule"),
    "calendar_changed": _l("Set a working-calendar day"), "calendar_removed": _l("Removed a working-calendar day"),
    "mail_checked": _l("Sent a test e-mail"), "routing_rule_created": _l("Created a routing rule"),
    "routing_rule_changed": _l("Changed a routing rule"), "routing_rule_deleted": _l("Deleted a routing rule"),
    "outbox_retried": _l("Retried an e-mail of the outbox"),
    "api_key_created": _l("Created an API key"), "api_key_revoked": _l("Revoked an API key"),
    "api_call": _l("API call"),
    "custom_field_defined": _l("Defined an extra field"), "custom_field_changed": _l("Changed an extra field"),
    "custom_field_retired": _l("Retired an extra field"), "custom_field_restored": _l("Restored an extra field"),
    "survey_created": _l("Made a customer survey round"), "survey_sent": _l("Sent a customer survey round"),
    "repeat_rule_changed": _l("Changed the repeat rule's similarity"),
}

# What the customer reads: the notices' kinds (for the administrator), the state of the complaint
# and the company's commitments on the tracking page and in the notices.
NOTICE_KIND_LABELS = {
    NoticeKind.ACCEPTANCE: _l("Acceptance (number and tracking code)"), NoticeKind.PLAN: _l("Handling plan"),
    NoticeKind.RESULT: _l("Result"), NoticeKind.CLOSURE: _l("Closure"),
    NoticeKind.LINK: _l("One-time link to the tracking page"),
    NoticeKind.EXTENSION: _l("Extension of the final decision deadline"),
    NoticeKind.SURVEY: _l("Invitation to the customers' opinion survey"),
}
CONTACT_KIND_LABELS = {
    ContactKind.MOBILE: _l("Mobile"), ContactKind.LANDLINE: _l("Landline"), ContactKind.EMAIL: _l("E-mail"),
    ContactKind.OTHER: _l("WeChat or other"),
}
OUTBOX_CHANNEL_LABELS = {OutboxChannel.EMAIL: _l("E-mail"), OutboxChannel.SMS: _l("Text message")}
OUTBOX_STATE_LABELS = {
    OutboxState.PENDING: _l("Waiting"), OutboxState.SENDING: _l("Sending"), OutboxState.SENT: _l("Sent"),
    OutboxState.FAILED: _l("Given up"), OutboxState.DROPPED: _l("No longer needed"),
}
CUSTOMER_STATE_LABELS = {
    ComplaintState.REGISTERED: _l("Received: we are looking into your complaint."),
    ComplaintState.DISPATCHED: _l("Being handled by the responsible department."),
    ComplaintState.ANSWERED: _l("Being handled: the answer is being checked before we tell you."),
    ComplaintState.AWAITING_VISIT: _l("We have told you our result. Please tell us whether you are satisfied."),
    ComplaintState.WITH_LEADER: _l("Being decided by senior management."),
    ComplaintState.CLOSED: _l("Closed."),
}
COMMITMENT_LABELS = {
    DeadlineKind.FIRST_RESPONSE: _l("We contact you"),
    DeadlineKind.RESOLUTION: _l("We tell you our plan or result"),
    DeadlineKind.FINAL_DECISION: _l("Final decision at the latest"),
    DeadlineKind.REVIEW: _l("Review decided"),
}
# Each language by its own name (config.LANGUAGES, the one list of the languages offered).
LANGUAGE_LABELS = LANGUAGES
# 待我处理: what the user must do, one heading per group of services.my_work.
WORK_GROUP_LABELS = {
    "decide": _l("Decide (leader)"), "approve": _l("Approve plans"),
    "signoff": _l("Sign off corrective and preventive action records"),
    "capa": _l("Corrective and preventive action records to fill in or fix"), "dispatch": _l("Dispatch"),
    "assign": _l("Assign a handler"), "answer": _l("Answer (or write the plan)"),
    "result": _l("Tell the customer the result / decide on the answer"), "visit": _l("Return visits to make"),
    "progress": _l("Progress notes due"),
}

# The customers' opinion survey (用户意见调查表): its questions and the five answers to each.
SURVEY_ITEM_LABELS = {
    SurveyItem.PROPERTY_SERVICE: _l("Property service overall"), SurveyItem.REPAIRS: _l("Repairs done promptly"),
    SurveyItem.CLEANING: _l("Cleaning and greenery"), SurveyItem.SECURITY: _l("Security and order"),
    SurveyItem.COMPLAINTS: _l("Handling of complaints"),
}
SURVEY_SCORE_LABELS = {5: _l("5 · very satisfied"), 4: _l("4 · satisfied"), 3: _l("3 · basically satisfied"),
                       2: _l("2 · unsatisfied"), 1: _l("1 · very unsatisfied")}

PENALTY_STATE_LABELS = {
    PenaltyState.PROPOSED: _l("Waiting for the decision"), PenaltyState.ACCEPTED: _l("Accepted, to be executed"),
    PenaltyState.REJECTED: _l("Rejected"), PenaltyState.EXECUTED: _l("Executed"),
}

# The periodic reports (services.periodic): their kinds, states and the five parts of the written analysis.
REPORT_KIND_LABELS = {ReportKind.MONTHLY: _l("Monthly report"), ReportKind.QUARTERLY: _l("Quarterly written analysis"),
                      ReportKind.ANNUAL: _l("Annual report")}
REPORT_STATUS_LABELS = {"due": _l("To submit"), "overdue": _l("Overdue: not submitted"), "submitted": _l("Submitted")}
REPORT_PART_LABELS = {
    "causes": _l("Main causes of the quarter's complaints"),
    "methods": _l("Main methods taken to resolve them"),
    "successes": _l("What worked in resolving each kind of complaint"),
    "improvements": _l("What needs to improve"),
    "support": _l("What support the company should provide"),
}
REPORT_FIGURE_LABELS = {
    "received": _l("Received"), "closed": _l("Closed"), "closed_on_time": _l("Closed on time"),
    "open": _l("Still open"), "overdue": _l("Overdue"), "major": _l("Major"), "repeated": _l("Repeat complaints"),
    "collective": _l("Collective complaints"), "invalid": _l("Not valid"), "rated": _l("Rated by the customer"),
    "satisfied": _l("Satisfied (A–C)"),
}
# Who approves a leader's own handling plan (org_settings.plan_approval, set on the deadline rules page).
LEADERS_PLANS_LABELS = {"center": _l("The customer service center"), "leader": _l("Another leader")}


def holder(state: ComplaintState, assignee: str | None, handling_unit: str | None, handler: str | None,
           owner: str) -> str:
    """Who holds a case now, by name: the handling unit's assignee (or the unit, while nobody is
    assigned), the service center for the return visit, the leader for the final decision, otherwise
    the branch handler (the owner, until it went up the ladder)."""
    if state == ComplaintState.DISPATCHED:
        return assignee or handling_unit or ""
    if state == ComplaintState.AWAITING_VISIT:
        return str(ROLE_LABELS[Role.CENTER])
    if state == ComplaintState.WITH_LEADER:
        return str(ROLE_LABELS[Role.LEADER])
    if state == ComplaintState.CLOSED:
        return ""
    return handler or owner
