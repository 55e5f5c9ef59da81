"""Documents and the closure of an association: the admins' export holds every
non-clinical document decrypted (and says it leaves the clinical ones to the
psychologists); each psychologist's clinical ZIP holds the clinical documents of their
cases, never a colleague's."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from tenants.offboarding.export import CLINICAL_EXPORT_PATH
from tests.conftest import signed_in
from tests.tenants.offboarding.test_offboarding_clinical import (  # noqa: F401 (fixtures)
    _closing,
    _download,
    _zip,
    export_dir,
    team,
)
from tests.tracking.documents.conftest import PDF, TEXT, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("export_dir")]
OTHER = b"Bilan de l'autre psychologue, confidentiel.\n"


def _documents(team: dict[str, Any]) -> dict[str, Any]:  # noqa: F811
    association, members = team["association"], team["members"]
    followed = team["followed"]
    from tests.tracking.factories import make_case

    other = make_case(association, members["admin"], staff=[team["colleague"]])
    return {
        "plain": upload(association, members["admin"], "admin", followed, TEXT, "cr.txt"),
        "mine": upload(association, members["psychologist"], "psychologist", followed, PDF,
                       "bilan.pdf", clinical=True),
        "theirs": upload(association, team["colleague"], "psychologist", other, OTHER,
                         "bilan-autre.txt", clinical=True),
    }


def test_the_admins_export_holds_the_documents_but_the_clinical_ones(
        team: dict[str, Any], export_dir: Path,  # noqa: F811
) -> None:
    made = _documents(team)
    association = _closing(team)
    files = _zip((export_dir / association.export_file).read_bytes())
    plain = made["plain"]
    assert files[f"documents/{plain.pk}-cr.txt"] == TEXT
    assert not any(name.startswith("documents/") and name != f"documents/{plain.pk}-cr.txt"
                   for name in files)
    for content in files.values():
        assert PDF not in content
        assert OTHER not in content
    assert "tables/tracking_documentblob.csv" not in files
    manifest = json.loads(files["manifest.json"])
    documents = manifest["documents"]
    assert [(f["file"], f["document_id"], f["size"]) for f in documents["files"]] == [
        (f"documents/{plain.pk}-cr.txt", plain.pk, len(TEXT))]
    assert documents["clinical_left_out"] == 2
    assert CLINICAL_EXPORT_PATH in documents["clinical_where"]["fr"]
    # The documents' table: the plain one's name decrypted, a clinical one's blank.
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(
        files["tables/tracking_casedocument.csv"].decode("utf-8")))}
    assert rows[str(plain.pk)]["file_name"] == "cr.txt"
    for clinical in (made["mine"], made["theirs"]):
        assert rows[str(clinical.pk)]["file_name"] == ""
        assert rows[str(clinical.pk)]["clinical"] == "true"
    for content in files.values():
        assert b"bilan.pdf" not in content
        assert b"bilan-autre" not in content
    assert manifest["conventions"]["clinical_rows"]["tracking_casedocument"] == {
        "si": "clinical", "colonnes_vides": ["file_name"]}


def test_each_psychologist_takes_away_the_clinical_documents_of_their_cases(
        team: dict[str, Any]) -> None:  # noqa: F811
    made = _documents(team)
    association = _closing(team)
    response, body = _download(signed_in(team["members"]["psychologist"], association),
                               CLINICAL_EXPORT_PATH)
    assert response.status_code == 200
    files = _zip(body)
    assert files[f"documents/{made['mine'].pk}-bilan.pdf"] == PDF
    assert all(OTHER not in content for content in files.values())
    assert all(TEXT not in content for content in files.values())
    manifest = json.loads(files["manifest.json"])
    assert [d["document_id"] for d in manifest["documents"]] == [made["mine"].pk]
    response, body = _download(signed_in(team["colleague"], association),
                               CLINICAL_EXPORT_PATH)
    files = _zip(body)
    assert files[f"documents/{made['theirs'].pk}-bilan-autre.txt"] == OTHER
    assert all(PDF not in content for content in files.values())
