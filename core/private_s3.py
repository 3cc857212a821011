"""The bucket's backend (portal.settings.storages names it when S3_BUCKET is set): django-storages'
S3 backend for any S3-compatible store, kept private. Imported only where a bucket is configured,
so processes on the file system never load boto3."""

from collections.abc import Iterator
from datetime import datetime

from django.conf import settings
from django.utils.encoding import filepath_to_uri
from storages.backends.s3 import S3Storage


class PrivateS3Storage(S3Storage):
    """A private bucket: no public ACL, no signed links (a signed link would be a way to a
    citizen's file that skips the portal's access checks and audit)."""

    def url(self, name, parameters=None, expire=None, http_method=None):
        # The same unserved address the file system gives: nothing answers it.
        return f"{settings.MEDIA_URL}{filepath_to_uri(name)}"

    def files_modified_before(self, folder: str, cutoff: datetime) -> Iterator[str]:
        """Names under ``folder`` last written before ``cutoff``, read from the bucket's listing
        (a page of 1,000 keys with their dates per request, no request per file)."""
        root = f"{self.location}/" if self.location else ""
        for summary in self.bucket.objects.filter(Prefix=f"{root}{folder.strip('/')}/"):
            if summary.last_modified < cutoff:
                yield summary.key[len(root):]
