"""Every model of case tracking, gathered here because Django loads an app's models from
`<app>.models`; each is defined in its room (cases, interactions, groups, awareness, audit,
fields, workflows, privacy, imports, api, webhooks, dropin, questions, todo, documents,
handovers). Schema: tenant (every table lives in each association's own schema)."""

from tracking.api.models import ApiKey, ApiScope, IdempotentRequest
from tracking.audit.models import AuditLog
from tracking.awareness.models import AwarenessSession
from tracking.cases.models import (
    Case,
    CaseCodeCounter,
    CaseEvent,
    CaseLink,
    CaseRole,
    CaseUserObjectPermission,
    Consent,
    ConsentGiver,
    Gender,
    ImpactAssessment,
    ImpactAxis,
    Referral,
)
from tracking.columns import EncryptedCharField, EncryptedTextField
from tracking.documents.models import CaseDocument, DocumentBlob
from tracking.dropin.models import (
    BookingSource,
    BookingStatus,
    DropinBooking,
    DropinCancellation,
    DropinMode,
    DropinSchedule,
    DropinSettings,
)
from tracking.employment.models import EmploymentMilestone
from tracking.fields.models import (
    CHOICE_KINDS,
    TEXT_KINDS,
    CustomField,
    CustomFieldKind,
    CustomFieldTarget,
)
from tracking.groups.models import (
    FACILITATE,
    Attendance,
    AttendanceStatus,
    ExchangeGroup,
    GroupFacilitation,
    GroupSession,
)
from tracking.handovers.models import ConsentMethod, HandoverDirection, HandoverRecord
from tracking.imports.models import ImportRun
from tracking.interactions.models import (
    CaseContact,
    Channel,
    Contact,
    ContactKind,
    Interaction,
    Partner,
)
from tracking.lists.models import PicklistItem, PicklistKind
from tracking.privacy.models import RetentionPolicy
from tracking.questions.models import Question, QuestionSession, QuestionSettings
from tracking.todo.models import DigestPreference, ReferralAcknowledgement, Task
from tracking.webhooks.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from tracking.workflows.models import (
    OverdueReminder,
    Stage,
    StageChange,
    Transition,
    WorkflowVersion,
    stage_fields,
)

__all__ = [
    "CHOICE_KINDS",
    "FACILITATE",
    "TEXT_KINDS",
    "ApiKey",
    "ApiScope",
    "Attendance",
    "AttendanceStatus",
    "AuditLog",
    "AwarenessSession",
    "BookingSource",
    "BookingStatus",
    "Case",
    "CaseCodeCounter",
    "CaseContact",
    "CaseDocument",
    "CaseEvent",
    "CaseLink",
    "CaseRole",
    "CaseUserObjectPermission",
    "Channel",
    "Consent",
    "ConsentGiver",
    "ConsentMethod",
    "Contact",
    "ContactKind",
    "CustomField",
    "CustomFieldKind",
    "CustomFieldTarget",
    "DeliveryStatus",
    "DigestPreference",
    "DocumentBlob",
    "DropinBooking",
    "DropinCancellation",
    "DropinMode",
    "DropinSchedule",
    "DropinSettings",
    "EmploymentMilestone",
    "EncryptedCharField",
    "EncryptedTextField",
    "ExchangeGroup",
    "Gender",
    "GroupFacilitation",
    "GroupSession",
    "HandoverDirection",
    "HandoverRecord",
    "IdempotentRequest",
    "ImpactAssessment",
    "ImpactAxis",
    "ImportRun",
    "Interaction",
    "OverdueReminder",
    "Partner",
    "PicklistItem",
    "PicklistKind",
    "Question",
    "QuestionSession",
    "QuestionSettings",
    "Referral",
    "ReferralAcknowledgement",
    "RetentionPolicy",
    "Stage",
    "StageChange",
    "Task",
    "Transition",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
    "WorkflowVersion",
    "stage_fields",
]
