"""The clients of the run, over HTTP against the web host through the API (docs/api.md):
citizens' apps that create, fill in, attach and submit applications, and each reviewing
department's case system, which approves its reviews once they are routed (their SLA due date
set, which only a routing worker does). Every POST carries an Idempotency-Key, so a retry after a
lost answer never does the work twice."""

import base64
import hashlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

RETRIES = 5


class Api:
    def __init__(self, base_url: str, token: str):
        self.client = httpx.Client(base_url=base_url, timeout=30, headers={"Authorization": f"Bearer {token}"})

    def call(self, method: str, path: str, *, key: str | None = None, **kwargs) -> httpx.Response:
        """The answer, retried on a lost connection or a 5xx with the same key; 4xx are the caller's."""
        headers = {"Idempotency-Key": key} if key else {}
        for attempt in range(RETRIES):
            try:
                response = self.client.request(method, path, headers=headers, **kwargs)
            except httpx.TransportError:
                if attempt == RETRIES - 1:
                    raise
            else:
                if response.status_code < 500 or attempt == RETRIES - 1:
                    return response
            time.sleep(0.5 * (attempt + 1))
        raise AssertionError("unreachable")

    def expect(self, status: int, method: str, path: str, **kwargs) -> dict:
        response = self.call(method, path, **kwargs)
        if response.status_code != status:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response.json()


class Citizens:
    """Files ``count`` applications from ``concurrency`` threads; ``submitted`` counts them as they go."""

    def __init__(self, base_url: str, plan: dict):
        self.base_url, self.plan = base_url, plan
        self.apis = [Api(base_url, token) for token in plan["citizen_tokens"]]
        self.submitted = 0
        self.owners: dict[int, int] = {}  # application id → index of its citizen's token
        self.lock = threading.Lock()
        self.files = [(f["field_key"], f["name"], base64.b64decode(f["content"]), f["content_type"])
                      for f in plan["files"]]

    def file_one(self, index: int) -> int:
        who = index % len(self.apis)
        api = self.apis[who]
        created = api.expect(201, "POST", "/api/v1/applications/", json={"service": self.plan["service"]},
                             key=f"create-{index}")
        base = f"/api/v1/applications/{created['id']}/"
        api.expect(200, "POST", base + "answers/", json={"answers": self.plan["answers"]}, key=f"answers-{index}")
        for field_key, name, content, content_type in self.files:
            api.expect(201, "POST", base + "attachments/", data={"field_key": field_key},
                       files={"file": (name, content, content_type)}, key=f"{field_key}-{index}")
        self.submit(api, base, index)
        with self.lock:
            self.submitted += 1
            self.owners[created["id"]] = who
        return created["id"]

    def submit(self, api: Api, base: str, index: int) -> None:
        api.expect(200, "POST", base + "submit/", key=f"submit-{index}")

    def file_all(self, count: int, concurrency: int) -> list[int]:
        with ThreadPoolExecutor(concurrency) as pool:
            return list(pool.map(self.file_one, range(count)))

    def download_all(self, expected: dict[int, str], concurrency: int) -> dict:
        """GET every application's permit through the web host: how many came back as the PDF
        whose SHA-256 the portal stored, and which did not."""

        def check(item):
            application_id, sha256 = item
            response = self.apis[self.owners[application_id]].call("GET", f"/api/v1/applications/{application_id}/permit/")
            ok = (response.status_code == 200 and response.content.startswith(b"%PDF")
                  and hashlib.sha256(response.content).hexdigest() == sha256)
            return application_id, ok, len(response.content)

        with ThreadPoolExecutor(concurrency) as pool:
            results = list(pool.map(check, expected.items()))
        return {"matching": sum(ok for _, ok, _ in results), "failed": [i for i, ok, _ in results if not ok],
                "bytes": sum(size for _, ok, size in results if ok)}


class Department(threading.Thread):
    """A department's case system: lists its pending reviews and approves each routed one."""

    def __init__(self, base_url: str, code: str, token: str, stop: threading.Event):
        super().__init__(name=f"department-{code}", daemon=True)
        self.code, self.api, self.stop = code, Api(base_url, token), stop
        self.decided, self.errors = 0, []

    def run(self):
        while not self.stop.is_set():
            try:
                routed = [r for r in self.pending() if r["due_date"]]
            except (RuntimeError, httpx.TransportError) as exc:
                self.errors.append(str(exc))
                self.stop.wait(1)
                continue
            for review in routed:
                response = self.api.call("POST", f"/api/v1/reviews/{review['id']}/decision/", json={"decision": "approve"},
                                         key=f"approve-{review['id']}-{review['version']}")
                if response.status_code == 200:
                    self.decided += 1
                elif response.status_code != 409:  # 409: decided meanwhile (a replay after a lost answer)
                    self.errors.append(f"{response.status_code} {response.text[:200]}")
            if not routed:
                self.stop.wait(0.5)

    def pending(self) -> list[dict]:
        rows, path = [], "/api/v1/reviews/?status=pending&page_size=200"
        while path and len(rows) < 1000:
            page = self.api.expect(200, "GET", path)
            rows += page["results"]
            path = page["next"]
        return rows
