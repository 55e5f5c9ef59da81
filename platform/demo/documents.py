"""A few small invented documents on demo cases, stored as real ones are: through the
documents service (checked, encrypted with the association's key, in its storage,
audited). Schema: tenant (the caller's)."""

from __future__ import annotations

import io

from relier_platform.demo.rows import Team
from tenants.models import User
from tracking.documents.services import document_upload
from tracking.models import Case
from tracking.permissions import Actor

# A one-page PDF saying "Attestation de suivi (démonstration)" — invented, no real person.
ATTESTATION = b"""%PDF-1.4
1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj
2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj
3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R
/Resources<</Font<</F1 5 0 R>>>>>>endobj
4 0 obj<</Length 66>>stream
BT /F1 18 Tf 72 760 Td (Attestation de suivi - demonstration) Tj ET
endstream endobj
5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj
trailer<</Root 1 0 R>>
%%EOF
"""
MEETING = ("Compte rendu de la réunion avec l'équipe éducative (démonstration)\n\n"
           "Présents : la CPE, le professeur principal, la référente de l'association.\n"
           "Décisions : changement de place en classe, point d'étape dans trois semaines.\n"
           ).encode()
ASSESSMENT = ("Bilan psychologique (démonstration)\n\n"
              "Anxiété en baisse depuis les entretiens de la permanence ; sommeil meilleur.\n"
              ).encode()


def make_documents(team: Team) -> int:
    """Two documents on the latest open case, and a clinical one by its psychologist on
    the latest case that has one. Returns how many were stored."""
    made = 0
    role, staff = ("admin", team.admins) if team.admins else ("coordinator", team.coordinators)
    case = Case.objects.filter(closed_on__isnull=True).order_by("-opened_on", "-pk").first()
    if staff and case is not None:
        admin = Actor(user=User.objects.get(pk=staff[0]), role=role)
        for data, name in ((ATTESTATION, "attestation-de-suivi.pdf"),
                           (MEETING, "compte-rendu-equipe-educative.txt")):
            document_upload(actor=admin, case=case, upload=io.BytesIO(data), file_name=name)
            made += 1
    followed = Case.objects.filter(closed_on__isnull=True,
                                   assigned_staff__in=team.psychologists)
    followed_case = followed.order_by("-opened_on", "-pk").first()
    if followed_case is None:
        return made
    user = followed_case.assigned_staff.filter(pk__in=team.psychologists).order_by("pk").first()
    if user is not None:
        document_upload(actor=Actor(user=user, role="psychologist"), case=followed_case,
                        upload=io.BytesIO(ASSESSMENT), file_name="bilan-psychologique.txt",
                        clinical=True)
        made += 1
    return made
