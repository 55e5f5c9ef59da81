"""Case tracking models. Schema: tenant (every table lives in each association's schema).
cases.py: young people, contacts, interactions, groups, awareness, audit;
workflows.py: stages and transitions, versioned."""

from tracking.models.cases import (
    Attendance,
    AttendanceStatus,
    AuditLog,
    AwarenessSession,
    Case,
    CaseCodeCounter,
    CaseContact,
    CaseEvent,
    CaseGrant,
    CaseLink,
    CaseRole,
    Channel,
    Consent,
    ConsentGiver,
    Contact,
    ContactKind,
    EncryptedCharField,
    EncryptedTextField,
    ExchangeGroup,
    Gender,
    GroupSession,
    ImpactAssessment,
    ImpactAxis,
    Interaction,
    Partner,
    PicklistItem,
    PicklistKind,
    Referral,
)
from tracking.models.workflows import (
    Stage,
    StageChange,
    Transition,
    WorkflowVersion,
    stage_fields,
)

__all__ = [
    "Attendance", "AttendanceStatus", "AuditLog", "AwarenessSession", "Case",
    "CaseCodeCounter", "CaseContact", "CaseEvent", "CaseGrant", "CaseLink", "CaseRole",
    "Channel", "Consent", "ConsentGiver", "Contact", "ContactKind", "EncryptedCharField",
    "EncryptedTextField", "ExchangeGroup", "Gender", "GroupSession", "ImpactAssessment",
    "ImpactAxis", "Interaction", "Partner", "PicklistItem", "PicklistKind", "Referral",
    "Stage", "StageChange", "Transition", "WorkflowVersion", "stage_fields",
]
