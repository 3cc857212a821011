"""The file store (an S3-compatible bucket) not answering, or refusing the portal's key, and the
media file system full, are answered with a 503 that says so (the API's JSON error, or a page),
never a 500; the operator gets the cause in the log at ERROR. A file a row names that the store
does not have (lost, or a restore without its files) is a 404 that says so, and an ERROR in the
log. The service that was storing has rolled its transaction back by then (and deleted what it
wrote), so no row names a file that is not there. botocore is looked up, never imported: on the
file system it is not loaded."""

import errno
import logging
import sys

from django.http import JsonResponse
from django.utils.translation import gettext as _

from .errors import file_missing, storage_unavailable
from .request_limits import is_api

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 120


def is_storage_failure(exception: BaseException) -> bool:
    if isinstance(exception, OSError) and exception.errno in (errno.ENOSPC, errno.EDQUOT):
        return True  # MEDIA_ROOT full (a half-written file is never named by a row: the transaction rolled back)
    errors = sys.modules.get("botocore.exceptions")
    return errors is not None and isinstance(exception, errors.BotoCoreError | errors.ClientError)


def is_missing_file(exception: BaseException) -> bool:
    """A stored file not found: the file system's FileNotFoundError, the bucket's 404."""
    if isinstance(exception, FileNotFoundError):
        return True
    errors = sys.modules.get("botocore.exceptions")
    return (errors is not None and isinstance(exception, errors.ClientError)
            and exception.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"))


class StorageUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_missing_file(exception):
            log.error("stored file missing on %s %s: %r", request.method, request.path, exception)
            if is_api(request):
                message = _("The file is on record, but the store that keeps files does not have it.")
                return JsonResponse({"error": {"code": "file_missing", "message": message, "fields": {}}}, status=404)
            return file_missing(request)
        if not is_storage_failure(exception):
            return None
        log.error("file store unavailable on %s %s: %r", request.method, request.path, exception)
        if is_api(request):
            message = _("Files cannot be stored or opened just now. Nothing was saved from this request; try again "
                        "in a few minutes.")
            response = JsonResponse({"error": {"code": "storage_unavailable", "message": message, "fields": {}}},
                                    status=503)
        else:
            response = storage_unavailable(request)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
