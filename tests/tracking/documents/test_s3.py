"""The S3-compatible storage of documents, against a real S3 server (moto's, in server
mode, on a free local port): every object key under the association's schema, the
bytes encrypted, a download, a withdrawal and an erasure that leave no object behind, and
another association's storage that cannot open acme's object by its name."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django_tenants.utils import schema_context
from moto.server import ThreadedMotoServer

from tenants.keys.fields import association_keyring
from tests.conftest import World, signed_in
from tests.tracking.documents.conftest import TEXT, upload
from tests.tracking.factories import actor, make_case
from tracking.documents.storage import documents_storage
from tracking.models import CaseDocument, DocumentBlob
from tracking.privacy.services import case_anonymise

pytestmark = pytest.mark.django_db
BUCKET = "relier-documents-test"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.setenv(name, "/nonexistent")
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1",
                          aws_access_key_id="essai", aws_secret_access_key="essai-secret")
    client.create_bucket(Bucket=BUCKET)
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        "documents": {"BACKEND": "tracking.documents.s3.SchemaS3Storage", "OPTIONS": {
            "bucket_name": BUCKET, "endpoint_url": s3_endpoint, "region_name": "us-east-1",
            "access_key": "essai", "secret_key": "essai-secret", "default_acl": None,
            "file_overwrite": True}},
    }
    with override_settings(STORAGES=storages):
        yield client
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def _keys(client: Any) -> list[str]:
    listed = client.list_objects_v2(Bucket=BUCKET)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def test_documents_go_to_the_bucket_under_the_schema_encrypted(world: World, s3: Any) -> None:
    case = make_case(world.acme, world.acme_members["admin"],
                     staff=[world.acme_members["psychologist"]])
    client = signed_in(world.acme_members["psychologist"], world.acme)
    sent = client.post(f"/dossiers/{case.pk}/documents/",
                       {"file": SimpleUploadedFile("compte-rendu.txt", TEXT)})
    assert sent.status_code == 302
    with schema_context(world.acme.schema_name):
        document = CaseDocument.objects.get()
        assert not DocumentBlob.objects.exists()  # nothing in the database storage
    (key,) = _keys(s3)
    assert key == f"a_acme/{document.blob_name}"
    raw = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    assert TEXT not in raw
    assert b"Sami" not in raw
    assert association_keyring("documents", "a_acme").decrypt(raw) == TEXT
    got = client.get(f"/dossiers/{case.pk}/documents/{document.pk}/telecharger/")
    assert (got.status_code, got.content) == (200, TEXT)
    # From beta's schema, the same name is another key: nothing to open.
    with schema_context(world.beta.schema_name), pytest.raises(FileNotFoundError):
        documents_storage().open(document.blob_name).read()


def test_a_refused_file_leaves_no_object(world: World, s3: Any) -> None:
    case = make_case(world.acme, world.acme_members["admin"])
    client = signed_in(world.acme_members["coordinator"], world.acme)
    refused = client.post(f"/dossiers/{case.pk}/documents/",
                          {"file": SimpleUploadedFile("a.pdf", b"MZ\x90\x00" + bytes(60))})
    assert refused.status_code == 400
    assert _keys(s3) == []


def test_withdrawal_and_erasure_leave_no_object(
        world: World, s3: Any,
        django_capture_on_commit_callbacks: Callable[..., Any]) -> None:
    admin = world.acme_members["admin"]
    case = make_case(world.acme, admin, first_name="Sami")
    first = upload(world.acme, admin, "admin", case, TEXT, "a.txt")
    upload(world.acme, admin, "admin", case, TEXT + b"2", "b.txt")
    assert len(_keys(s3)) == 2
    client = signed_in(world.acme_members["coordinator"], world.acme)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/dossiers/{case.pk}/documents/{first.pk}/retirer/",
                    {"reason": "Mauvais dossier"})
    assert len(_keys(s3)) == 1
    with django_capture_on_commit_callbacks(execute=True), \
            schema_context(world.acme.schema_name):
        case_anonymise(actor=actor(admin, "admin"), case=case, confirmation=case.code,
                       confirmation_again=case.code)
    assert _keys(s3) == []
