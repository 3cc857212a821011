"""Citizens and departments' officers who behave like people during an outage: a step that fails
(no answer, a 5xx, a 429) is tried again after a pause, with the same Idempotency-Key, until it
works; every failure they saw is counted by page. Built on the multi-host run's API clients
(bench/multihost/clients.py). Decisions are mixed: most approve, some reject, some ask for a
correction, which the citizen then answers."""

import queue
import random
import re
import threading
import time
from collections import Counter

import httpx
from multihost.clients import Api, Citizens, Department

PAUSE = 2.0  # seconds a person waits before trying a failed step again
GIVE_UP_AFTER = 900.0
REJECT_SHARE, CORRECTION_SHARE = 0.05, 0.10
_ID = re.compile(r"/\d+(?=/|$)")


class Seen:
    """What people saw go wrong, shared by all of them: failures by endpoint, and retries."""

    def __init__(self):
        self.errors: Counter = Counter()  # "POST /api/v1/applications/{id}/submit/ 503" → count
        self.retries = 0
        self.lock = threading.Lock()

    def failed(self, method: str, path: str, what: str) -> None:
        with self.lock:
            self.errors[f"{method} {_ID.sub('/{id}', path.split('?')[0])} {what}"] += 1
            self.retries += 1


def in_flight(response: httpx.Response) -> bool:
    """The 409 of a key whose first request has not answered: try again later, like a 503."""
    return response.status_code == 409 and "still being processed" in response.text


class Person(Api):
    """The API client of one person: a failed step is tried again after a pause, not given up."""

    def __init__(self, base_url: str, token: str, seen: Seen):
        super().__init__(base_url, token)
        self.seen = seen

    def call(self, method: str, path: str, *, key: str | None = None, **kwargs) -> httpx.Response:
        headers = {"Idempotency-Key": key} if key else {}
        deadline = time.monotonic() + GIVE_UP_AFTER
        while True:
            try:
                response = self.client.request(method, path, headers=headers, **kwargs)
            except httpx.TransportError as exc:
                what = type(exc).__name__
            else:
                if response.status_code < 500 and response.status_code != 429 and not in_flight(response):
                    return response
                what = f"{response.status_code}{' in flight' if in_flight(response) else ''}"
            self.seen.failed(method, path, what)
            if time.monotonic() > deadline:
                raise RuntimeError(f"{method} {path}: still failing after {GIVE_UP_AFTER:.0f} s ({what})")
            time.sleep(PAUSE)


class Applicants(Citizens):
    """Citizens filing applications; ``references`` holds what each was shown on submitting."""

    def __init__(self, base_url: str, plan: dict, seen: Seen):
        super().__init__(base_url, plan)
        self.apis = [Person(base_url, token, seen) for token in plan["citizen_tokens"]]
        self.corrections: queue.Queue = queue.Queue()
        self.corrected = 0
        self.asked: set[int] = set()

    def ask(self, review: dict) -> bool:
        """True the first time a correction of this application is asked (one round each)."""
        with self.lock:
            fresh = review["application_id"] not in self.asked
            self.asked.add(review["application_id"])
            return fresh

    def submit(self, api: Person, base: str, index: int) -> None:
        """A submission whose answer was lost is found submitted when tried again (a 409): the
        citizen sees its reference on the application's page."""
        response = api.call("POST", base + "submit/", key=f"submit-{index}")
        if response.status_code == 409:
            response = api.call("GET", base)
            if response.status_code == 200 and response.json()["reference"]:
                return
        if response.status_code != 200:
            raise RuntimeError(f"POST {base}submit/: {response.status_code} {response.text[:300]}")

    def answer_corrections(self, stop: threading.Event) -> None:
        """Answer each correction asked of an application (the same answers, sent again)."""
        while not stop.is_set() or not self.corrections.empty():
            try:
                application_id, fields = self.corrections.get(timeout=0.5)
            except queue.Empty:
                continue
            api = self.apis[self.owners[application_id]]
            answers = {key: self.plan["answers"][key] for key in fields}
            response = api.call("POST", f"/api/v1/applications/{application_id}/corrections/",
                                json={"answers": answers}, key=f"correct-{application_id}")
            if response.status_code == 200:
                self.corrected += 1


class Officers(Department):
    """A department's system: approves most routed reviews, rejects some, asks for a correction on
    some (once per application), by a roll seeded with the application's id."""

    def __init__(self, base_url: str, code: str, token: str, stop: threading.Event, seen: Seen,
                 applicants: Applicants, correction_field: str | None):
        super().__init__(base_url, code, token, stop)
        self.api = Person(base_url, token, seen)
        self.applicants, self.correction_field = applicants, correction_field
        self.outcomes: Counter = Counter()

    def choose(self, review: dict) -> dict:
        roll = random.Random(f"{review['application_id']}-{self.code}").random()
        if roll < REJECT_SHARE:
            return {"decision": "reject", "reason": "Does not meet the requirement."}
        if roll < REJECT_SHARE + CORRECTION_SHARE and self.correction_field and self.applicants.ask(review):
            return {"decision": "correction", "correction_fields": [self.correction_field],
                    "message": "Please confirm this answer."}
        return {"decision": "approve"}

    def run(self):
        while not self.stop.is_set():
            try:
                # Only the run's applications: the demo's are left as they are.
                routed = [r for r in self.pending() if r["due_date"] and r["application_id"] in self.applicants.owners]
            except RuntimeError as exc:
                self.errors.append(str(exc))
                self.stop.wait(1)
                continue
            for review in routed:
                decision = self.choose(review)
                response = self.api.call("POST", f"/api/v1/reviews/{review['id']}/decision/", json=decision,
                                         key=f"decide-{review['id']}-{review['version']}")
                if response.status_code == 200:
                    self.decided += 1
                    self.outcomes[decision["decision"]] += 1
                    if decision["decision"] == "correction":
                        self.applicants.corrections.put((review["application_id"], decision["correction_fields"]))
                elif response.status_code != 409:  # 409: decided meanwhile (another stage's rejection)
                    self.errors.append(f"{response.status_code} {response.text[:200]}")
            if not routed:
                self.stop.wait(0.5)
