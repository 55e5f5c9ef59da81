"""The documents of a case, `/dossiers/<id>/documents/` (association hosts): the list of
what the actor may read, the upload form for those who may edit the case, the download
(an attachment, its type the one read from its bytes, never sniffed) and the withdrawal.
Whoever may not open the case — or a clinical document — gets 404, as for a missing one."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from relier_platform.errors import ApplicationError
from tracking.access import actor_of, client_ip
from tracking.cases.selectors import access_case
from tracking.documents import selectors, services
from tracking.documents.forms import UploadForm, WithdrawForm
from tracking.documents.uploads import SizeLimitHandler
from tracking.forms import add_error
from tracking.permissions import Capability


@csrf_exempt  # checked below, once the size-limiting upload handler is in place
@require_http_methods(["GET", "POST"])
def case_documents(request: HttpRequest, case_id: int) -> HttpResponse:
    limit = SizeLimitHandler(request, services.max_bytes())
    request.upload_handlers.insert(0, limit)
    return _case_documents(request, case_id, limit)


@csrf_protect
def _case_documents(request: HttpRequest, case_id: int, limit: SizeLimitHandler,
                    ) -> HttpResponse:
    actor = actor_of(request)
    case = access_case(actor, case_id)
    can_upload = services.can_upload(actor, case)
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    if request.method == "POST":
        if not can_upload:
            return redirect("case_documents", case_id=case.pk)
        if limit.exceeded:
            form.is_valid()
            form.add_error("file", services.too_big_message())
        elif form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                services.document_upload(
                    actor=actor, case=case, upload=upload,
                    file_name=getattr(upload, "name", "") or "",
                    clinical=form.cleaned_data["clinical"], ip_address=client_ip(request))
            except ApplicationError as error:
                add_error(form, error)
            else:
                messages.success(request, _("Document déposé."))
                return redirect("case_documents", case_id=case.pk)
    response = render(request, "tracking/case_documents.html", {
        "case": case, "documents": selectors.document_list(actor=actor, case=case),
        "hidden_clinical": selectors.clinical_hidden_count(actor=actor, case=case),
        "form": form, "can_upload": can_upload,
        "can_clinical": actor.can(Capability.CLINICAL),
        "max_megabytes": services.max_megabytes(),
    }, status=400 if form.errors else 200)
    response["Cache-Control"] = "no-store, private"
    return response


@require_GET
def document_download(request: HttpRequest, case_id: int, document_id: int) -> HttpResponse:
    actor = actor_of(request)
    document = selectors.access_document(actor, case_id, document_id)
    try:
        found = services.document_download(actor=actor, document=document,
                                           ip_address=client_ip(request))
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("case_documents", case_id=document.case.pk)
    response = HttpResponse(found.data, content_type=found.content_type)
    ascii_name = found.file_name.encode("ascii", "replace").decode().replace("?", "_")
    response["Content-Disposition"] = (
        f'attachment; filename="{ascii_name}"; filename*=UTF-8\'\'{quote(found.file_name)}')
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_POST
def document_withdraw(request: HttpRequest, case_id: int, document_id: int) -> HttpResponse:
    actor = actor_of(request)
    document = selectors.access_document(actor, case_id, document_id)
    form = WithdrawForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.document_withdraw(actor=actor, document=document, reason=reason,
                                   ip_address=client_ip(request))
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Document retiré : son contenu a été détruit."))
    return redirect("case_documents", case_id=document.case.pk)
