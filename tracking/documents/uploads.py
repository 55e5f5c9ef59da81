"""An upload handler that stops keeping a file past the documents' size limit. Schema:
none.

Django spools every uploaded file to memory or a temporary file before the view runs;
this handler, put first for the documents page only, drops a file as soon as it is larger
than the limit (the rest of the request is read and thrown away, never written to disk)
and remembers it, so the page can say the file was too big."""

from __future__ import annotations

from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest


class SizeLimitHandler(FileUploadHandler):
    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            self.exceeded = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
