"""An S3-compatible object store for the tests: moto's server (``python -m moto.server``) started
as its own process on a free port of 127.0.0.1 for the session. Loaded by the root conftest
(pytest_plugins).

``s3_storage`` gives one test a fresh private bucket and points the portal at it the way a
deployment does, through the S3_* environment variables read by portal.settings.storages: the
test process's STORAGES, and any Celery worker the test starts (it inherits the environment)."""

import socket
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.services import process_stop, wait_until_answering

REGION = "us-east-1"
ACCESS_KEY, SECRET_KEY = "portal-test", "portal-test-secret"


@dataclass
class S3Server:
    endpoint: str
    process: subprocess.Popen
    log: Path

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY,
                            aws_secret_access_key=SECRET_KEY)

    def stop(self) -> None:
        process_stop(self.process)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_s3_server(directory: Path, *, timeout: float = 30.0) -> S3Server:
    port = _free_port()
    log = directory / "moto-server.log"
    with log.open("w") as output:
        process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                   stdout=output, stderr=subprocess.STDOUT)
    server = S3Server(endpoint=f"http://127.0.0.1:{port}", process=process, log=log)
    try:
        wait_until_answering(f"{server.endpoint}/moto-api/", seconds=timeout, what="the S3 server (moto)")
    except TimeoutError as exc:
        server.stop()
        raise RuntimeError(f"the S3 server did not start: {exc}\n{log.read_text()}") from exc
    return server


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    server = start_s3_server(tmp_path_factory.mktemp("s3-server"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_storage(s3_server, settings, monkeypatch):
    """A fresh private bucket holds this test's files; returns the bucket's name. The bucket is
    emptied and removed afterwards."""
    import environ

    from portal.settings.storages import default_file_storage

    bucket = f"portal-{uuid.uuid4().hex[:20]}"
    client = s3_server.client()
    client.create_bucket(Bucket=bucket)
    for name, value in {"S3_BUCKET": bucket, "S3_ENDPOINT_URL": s3_server.endpoint, "S3_REGION": REGION,
                        "S3_ACCESS_KEY_ID": ACCESS_KEY, "S3_SECRET_ACCESS_KEY": SECRET_KEY}.items():
        monkeypatch.setenv(name, value)
    settings.STORAGES = {**settings.STORAGES,
                         "default": default_file_storage(environ.Env(), spool_bytes=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)}
    yield bucket
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=bucket, Key=item["Key"])
    client.delete_bucket(Bucket=bucket)
