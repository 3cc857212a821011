"""What keeping files in an S3-compatible bucket costs against the file system, through the same
storage API the portal uses: storing a permit (a 176 KiB PDF) and a citizen's upload (1 MiB), and
serving each as the download views do (open, then stream through FileResponse). The bucket is
moto's S3 server on 127.0.0.1 (tests/s3_server.py), so the figures are the client's work plus a
local server's, without a network between hosts. Needs no database.

    .venv/bin/python bench/storage.py [RUNS]

Prints JSON: per backend and operation the median and p95 in ms over RUNS timings (default 60)
after 5 warm-up ones, the two backends interleaved, and the bucket's median over the file system's."""

import json
import os
import secrets
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
django.setup()

import environ  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.core.files.storage import FileSystemStorage  # noqa: E402
from django.http import FileResponse  # noqa: E402

from core.private_s3 import PrivateS3Storage  # noqa: E402
from portal.settings.storages import default_file_storage  # noqa: E402
from tests import s3_server  # noqa: E402

WARM_UP = 5
FILES = {"permit": 176 * 1024, "upload": 1024 * 1024}


def _ms(seconds: list[float]) -> dict:
    ordered = sorted(seconds)
    return {"p50": round(statistics.median(ordered) * 1000, 2),
            "p95": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000, 2)}


def _store(storage, content: bytes) -> str:
    return storage.save(f"attachments/bench/{uuid.uuid4().hex}", ContentFile(content))


def _download(storage, name: str) -> int:
    return sum(len(chunk) for chunk in FileResponse(storage.open(name, "rb"), as_attachment=True, filename="f.pdf"))


def main(runs: int) -> dict:
    import time

    with tempfile.TemporaryDirectory(prefix="portal-bench-storage-") as scratch:
        server = s3_server.start_s3_server(Path(scratch))
        try:
            bucket = f"bench-{uuid.uuid4().hex[:12]}"
            server.client().create_bucket(Bucket=bucket)
            os.environ.update(S3_BUCKET=bucket, S3_ENDPOINT_URL=server.endpoint, S3_REGION=s3_server.REGION,
                              S3_ACCESS_KEY_ID=s3_server.ACCESS_KEY, S3_SECRET_ACCESS_KEY=s3_server.SECRET_KEY)
            options = default_file_storage(environ.Env(), spool_bytes=2 * 1024 * 1024)["OPTIONS"]
            backends = {"file system": FileSystemStorage(location=Path(scratch, "media")),
                        "bucket": PrivateS3Storage(**options)}
            timings = {(b, f, op): [] for b in backends for f in FILES for op in ("store", "download")}
            for run in range(WARM_UP + runs):
                for file, size in FILES.items():
                    content = secrets.token_bytes(size)
                    for backend, storage in backends.items():
                        started = time.perf_counter()
                        name = _store(storage, content)
                        stored = time.perf_counter()
                        assert _download(storage, name) == size
                        done = time.perf_counter()
                        storage.delete(name)
                        if run >= WARM_UP:
                            timings[(backend, file, "store")].append(stored - started)
                            timings[(backend, file, "download")].append(done - stored)
        finally:
            server.stop()
    result = {"runs": runs, "sizes": FILES, "figures": []}
    for file in FILES:
        for op in ("store", "download"):
            local, bucket = _ms(timings[("file system", file, op)]), _ms(timings[("bucket", file, op)])
            result["figures"].append({"file": file, "operation": op, "file system": local, "bucket": bucket,
                                      "ratio": round(bucket["p50"] / local["p50"], 1)})
    return result


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 60), indent=1))
