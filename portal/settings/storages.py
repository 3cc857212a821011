"""The default file storage, from the environment: the file system under MEDIA_ROOT, or with
S3_BUCKET a private bucket of an S3-compatible object store (core.private_s3.PrivateS3Storage),
which every web server and worker on every host shares. See docs/storage.md."""

import environ

FILESYSTEM = {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def default_file_storage(env: environ.Env, *, spool_bytes: int) -> dict:
    """The ``STORAGES["default"]`` entry. A file read from the bucket is held in memory up to
    ``spool_bytes`` and spooled to a temporary file beyond, so a large download never sits whole
    in a worker's memory."""
    bucket = env.str("S3_BUCKET", default="")
    if not bucket:
        # No location: the backend follows MEDIA_ROOT, which tests change per test.
        return FILESYSTEM
    from botocore.config import Config

    endpoint = env.str("S3_ENDPOINT_URL", default="") or None
    return {
        "BACKEND": "core.private_s3.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint,
            "region_name": env.str("S3_REGION", default="us-east-1"),
            # Empty: boto3's own chain (the host's role, AWS_* variables, a profile).
            "access_key": env.str("S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("S3_PREFIX", default="").strip("/"),
            # MinIO and most S3-compatible stores answer on one host name, the bucket in the path.
            "addressing_style": env.str("S3_ADDRESSING_STYLE", default="path" if endpoint else "auto"),
            "verify": env.str("S3_CA_BUNDLE", default="") or None,
            # Objects get the bucket's own (private) access; no ACL is sent, which buckets with
            # ACLs disabled would refuse.
            "default_acl": None,
            "querystring_auth": False,
            # A name already taken gets another, as on the file system: a file is never replaced
            # by an upload that happens to draw the same name.
            "file_overwrite": False,
            "max_memory_size": spool_bytes,
            "client_config": Config(
                connect_timeout=env.float("S3_CONNECT_TIMEOUT", default=2.0),
                read_timeout=env.float("S3_READ_TIMEOUT", default=20.0),
                retries={"max_attempts": 3, "mode": "standard"},
                # Checksums only where S3 requires them: several S3-compatible stores refuse the
                # newer default trailing checksums.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        },
    }
