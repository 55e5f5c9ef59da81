"""Every model of case tracking, gathered here because Django loads an app's models from
`<app>.models`; each is defined in its room (cases, interactions, groups, awareness, audit,
fields, workflows, privacy, imports). Schema: tenant (every table lives in each
association's own schema)."""

from tracking.audit.models import AuditLog
from tracking.awareness.models import AwarenessSession
from tracking.cases.models import (
    Case,
    CaseCodeCounter,
    CaseEvent,
    CaseGrant,
    CaseLink,
    CaseRole,
    Consent,
    ConsentGiver,
    Gender,
    ImpactAssessment,
    ImpactAxis,
    Referral,
)
from tracking.columns import EncryptedCharField, EncryptedTextField
from tracking.fields.models import (
    CHOICE_KINDS,
    TEXT_KINDS,
    CustomField,
    CustomFieldKind,
    CustomFieldTarget,
)
from tracking.groups.models import Attendance, AttendanceStatus, ExchangeGroup, GroupSession
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
    "TEXT_KINDS",
    "Attendance",
    "AttendanceStatus",
    "AuditLog",
    "AwarenessSession",
    "Case",
    "CaseCodeCounter",
    "CaseContact",
    "CaseEvent",
    "CaseGrant",
    "CaseLink",
    "CaseRole",
    "Channel",
    "Consent",
    "ConsentGiver",
    "Contact",
    "ContactKind",
    "CustomField",
    "CustomFieldKind",
    "CustomFieldTarget",
    "EncryptedCharField",
    "EncryptedTextField",
    "ExchangeGroup",
    "Gender",
    "GroupSession",
    "ImpactAssessment",
    "ImpactAxis",
    "ImportRun",
    "Interaction",
    "OverdueReminder",
    "Partner",
    "PicklistItem",
    "PicklistKind",
    "Referral",
    "RetentionPolicy",
    "Stage",
    "StageChange",
    "Transition",
    "WorkflowVersion",
    "stage_fields",
]
