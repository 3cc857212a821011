"""A city's day on the portal, for Locust: visitors on the public pages, citizens applying and
following their applications, officers working their queues, managers on the dashboards.

Each simulated person is a browser: it keeps its cookies, reads the CSRF token from the form it
sends, follows redirects (a page's time includes them) and comes from an address of its own (the
X-Forwarded-For that compose's proxy writes). What they hold before the first request (citizens'
accounts, staff sessions, answers and files, permits to verify) is the runner's plan
(bench/load/prepare.py), a JSON file named by LOAD_PLAN. Weights are the share of people of each
kind at any moment; a step that lands anywhere but where it should is a failure."""

import base64
import itertools
import json
import os
import random
import re
import sys
from functools import cache
from pathlib import Path

from locust import HttpUser, between, task

sys.path.insert(0, str(Path(__file__).resolve().parent))

from forms import form_to, page_form  # noqa: E402

ADDRESSES = itertools.count(1)
REVIEW_LINK = re.compile(r'href="(/officer/reviews/\d+/)"')
APPLICATION_LINK = re.compile(r'href="(/applications/\d+/)"')
PERFORMANCE_LINK = re.compile(r'href="(/performance/(?:departments|services)/[\w-]+/)"')


@cache
def plan() -> dict:
    return json.loads(Path(os.environ["LOAD_PLAN"]).read_text())


class Person(HttpUser):
    abstract = True
    wait_time = between(1, 5)

    def on_start(self):
        n = next(ADDRESSES)
        # One address per person (198.18.0.0/15: set aside for benchmarks), as the proxy reports it.
        self.client.headers["X-Forwarded-For"] = f"198.18.{n // 250 % 250}.{n % 250 + 1}"
        self.number = n
        self.arrive()
        # LOAD_EVERY_TASK=1 (the scenario's test): each task once, in order, before the mix.
        if os.environ.get("LOAD_EVERY_TASK") == "1":
            for each in dict.fromkeys(self.tasks):
                each(self)

    def arrive(self):
        """What a person does first (signing in)."""

    def get(self, path: str, name: str, *, expect: str | None = None):
        """GET ``path``; a failure unless it ends at a URL containing ``expect`` (if given)."""
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.ok and expect and expect not in response.url:
                response.failure(f"landed on {response.url}, not …{expect}…")
            return response

    def post(self, page, form, name: str, *, expect: str, files=None, **changes):
        """Send ``form`` of the page ``page`` as a browser would (its action, or the page itself)."""
        url = form.action or page.url
        with self.client.post(url, data=form.data(**changes), files=files, name=name, catch_response=True,
                              headers={"Referer": page.url}) as response:
            if response.ok and expect not in response.url:
                response.failure(f"landed on {response.url}, not …{expect}…")
            return response


class Visitor(Person):
    """Anyone, not signed in: the catalogue, the finder, guides, published figures, verifying a
    permit by its QR code."""

    weight = 12

    @task(4)
    def home(self):
        self.get("/", "home")

    @task(3)
    def service(self):
        self.get(f"/services/{random.choice(plan()['services'])}/", "service page")

    @task(2)
    def search(self):
        self.get("/search/?q=" + random.choice(["restaurant", "shop sign", "event", "tax", "fire"]), "search")

    @task(2)
    def finder(self):
        page = self.get("/finder/", "finder list")
        if plan()["finders"] and page.ok:
            self.get(f"/finder/{random.choice(plan()['finders'])}/", "finder")

    @task(1)
    def guide(self):
        self.get(f"/services/{random.choice(plan()['services'])}/guide/print/", "guide (print)")

    @task(2)
    def verify(self):
        self.get("/" + random.choice(plan()["verify"]), "verify permit", expect="/permits/verify/")

    @task(1)
    def performance(self):
        self.get("/performance/", "performance")


class Citizen(Person):
    """Signs in on the sign-in page, starts applications, answers each page, uploads the files,
    checks and submits; reads "My applications", an application and the notifications."""

    weight = 5

    def arrive(self):
        people = plan()["citizens"]
        page = self.get("/accounts/login/", "sign in (page)")
        form = form_to(page.text, "/accounts/login/")
        self.post(page, form, "sign in", expect="/", username=people[self.number % len(people)],
                  password=plan()["citizen_password"])

    @task(2)
    def apply(self):
        application = random.choice(plan()["applications"])
        page = self.get(f"/services/{application['service']}/", "service page")
        start = form_to(page.text, "/applications/start/")
        # "another": a new application even when one of this service is in progress.
        page = self.post(page, start, "start application", expect="/step/", another="1")
        while page.ok and "/step/" in page.url:
            form = page_form(page.text)
            answers = {k: v for k, v in application["answers"].items() if k in form.values or k in form.choices}
            files = [(key, (f["name"], base64.b64decode(f["content"]), f["content_type"]))
                     for key, f in application["files"].items() if key in form.files]
            page = self.post(page, form, "answer page (upload)" if files else "answer page", expect="/applications/",
                             files=files or None, save_later=None, **answers)
        if not page.ok or not page.url.endswith("/check/"):
            return
        self.post(page, page_form(page.text), "check and submit", expect="/submitted/", declaration="yes")

    @task(3)
    def my_applications(self):
        page = self.get("/applications/", "my applications")
        if links := APPLICATION_LINK.findall(page.text):
            self.get(random.choice(links), "application")

    @task(1)
    def notifications(self):
        self.get("/applications/notifications/", "notifications")


class Staff(Person):
    """Signed in already (staff confirm a sign-in with a second factor): a session of the plan's."""

    abstract = True
    kind = ""

    def arrive(self):
        sessions = plan()["sessions"][self.kind]
        self.client.cookies.set("sessionid", sessions[self.number % len(sessions)])


class Officer(Staff):
    """A department's officer: the queue, a review opened, claimed and approved (with the
    confirmation step)."""

    weight = 2
    wait_time = between(2, 6)
    kind = "officer"

    @task
    def decide(self):
        queue = self.get("/officer/", "officer queue", expect="/officer/")
        links = REVIEW_LINK.findall(queue.text)
        if not links:
            return
        review = self.get(random.choice(links), "review", expect="/officer/reviews/")
        try:
            claim = form_to(review.text, "/claim/")
        except LookupError:  # held by a colleague, or decided meanwhile
            return
        review = self.post(review, claim, "claim", expect="/officer/")
        try:
            decide = form_to(review.text, "/decide/")
        except LookupError:  # a colleague claimed it first
            return
        confirm = self.post(review, decide, "decide", expect="/decide/", decision="approve")
        if confirm.ok:
            self.post(confirm, form_to(confirm.text, "/decide/"), "decide (confirm)", expect="/officer/")


class Manager(Staff):
    """A manager: the dashboard, the scorecard and bottlenecks, the published tables."""

    weight = 1
    wait_time = between(3, 8)
    kind = "manager"

    @task(3)
    def dashboard(self):
        self.get("/dashboards/", "dashboard", expect="/dashboards/")

    @task(1)
    def scorecard(self):
        self.get("/dashboards/scorecard/", "scorecard", expect="/dashboards/scorecard/")

    @task(1)
    def bottlenecks(self):
        self.get("/dashboards/bottlenecks/", "bottlenecks", expect="/dashboards/bottlenecks/")

    @task(1)
    def published(self):
        page = self.get("/performance/", "performance")
        if links := PERFORMANCE_LINK.findall(page.text):
            self.get(random.choice(links), "performance (department or service)")
        self.get("/performance/data/", "published tables")
