"""The demo's documents: stored through the service (encrypted, in the association's
storage, audited), a clinical one by the case's psychologist, each one readable back."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from relier_platform.demo.activity import generate_activity
from relier_platform.demo.documents import ASSESSMENT, ATTESTATION, MEETING
from tests.conftest import World
from tests.platform.test_demo import staff_by_role
from tests.tracking.factories import actor
from tracking.documents.content import detect
from tracking.documents.services import document_download
from tracking.models import AuditLog, CaseDocument, DocumentBlob

pytestmark = pytest.mark.django_db


def test_the_demo_keeps_a_few_documents_on_its_cases(world: World) -> None:
    schema = world.acme.schema_name
    counts = generate_activity(schema_name=schema, cases=30, interactions=60, seed=3,
                               staff_ids_by_role=staff_by_role(schema))
    assert counts["documents"] == 3
    assert all(detect(data) is not None for data in (ATTESTATION, MEETING, ASSESSMENT))
    with schema_context(schema):
        documents = list(CaseDocument.objects.order_by("pk"))
        assert [(d.file_name, d.clinical) for d in documents] == [
            ("attestation-de-suivi.pdf", False), ("compte-rendu-equipe-educative.txt", False),
            ("bilan-psychologique.txt", True)]
        assert DocumentBlob.objects.count() == 3
        psychologist = world.acme_members["psychologist"]
        clinical = documents[2]
        assert clinical.case.assigned_staff.filter(pk=clinical.uploaded_by_id).exists()
        got = document_download(actor=actor(psychologist, "psychologist"), document=clinical)
        assert got.data == ASSESSMENT
        assert AuditLog.objects.filter(action="document.upload").count() == 3
