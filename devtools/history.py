"""A realistic, deterministic history of applications written in bulk (PostgreSQL COPY), for
benchmarks and dashboards: ``manage.py generate_history --applications 1000000``.

Every application is planned on its own (``Random(seed, index)``), so a seed gives the same rows
whatever the batch size. A plan keeps the invariants the engine keeps (approvals.workflow):

- a draft has no reference, no reviews and no submission time; a submitted application has one
  review per department of its frozen schema that applies to its answers (catalogue.applicability:
  it keeps only the answers and files of the questions asked), its reference ``A-<local year>-<pk>``;
- stages run in order: reviews of earlier stages are approved, later stages are waiting (or
  cancelled once the application is rejected or withdrawn); an application in review has an open
  review in its current stage, one that needs correction has a correction request in it;
- a rejection has a reason and cancels every undecided review; a withdrawal cancels them too;
- approved and issued applications have every review approved and exactly one permit
  (``P-<year of submission>-<pk>``), numbered as ``permits.services.permit_number`` does;
  no other application has one; issued permits are rendered, approved ones not yet;
- SLA dates are working days of the catalogue's calendar counted as ``approvals.sla``; reminders
  and yellow/red cards are stamped when a running clock passed those dates;
- ratings only on decided applications, by the applicant, after the decision; a rating of 1 or 2
  opened one rectification case per department that decided (owned as ``owners_of`` names), due in
  the service's ``rectify_days`` working days: most rectified in time, some late, some still open,
  and some of the rectified rated again;
- some decisions came after a correction round: the request is in the audit log, the clock was
  paused for the working days the applicant took (``paused_days``) and its dates moved by them,
  as ``approvals.sla.clock_resume`` moves them; every open correction request is in the log too.

The audit log holds only those correction requests (the dashboards count them), sealed into the
chain. Not generated: other audit events, notifications and message threads. Attachments all point
at one sample PDF and its disarmed copy."""

import hashlib
import json
import random
import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from stdnum.cn import uscc

from accounts.models import Role
from approvals.check_codes import new_check_code
from approvals.disarm import disarm_pdf
from approvals.models import LOW_RATING_MAX, business_name_of
from approvals.models import ApplicationStatus as A
from approvals.models import RectificationStatus as X
from approvals.models import ReviewStatus as R
from approvals.need_to_know import name_shown
from approvals.rectifications import owners_of
from approvals.sla import reminder_day
from audit.chain import audit_seal
from audit.models import Action, AuditEvent
from catalogue.applicability import applied
from catalogue.calendar import load_calendars
from catalogue.models import Service
from catalogue.schema import Schema, date_bound
from core.calendar import WorkingDays
from departments.models import Department, Membership, MembershipRole
from permits.codes import new_verify_code

from .samples import blank_pdf

HISTORY_DAYS = 730
CITIZEN_DOMAIN = "history.example.org"
STAFF_DOMAIN = "history.example.gov"
OFFICERS_PER_DEPARTMENT = 12
SUPERVISORS_PER_DEPARTMENT = 2
DEFAULT_BATCH = 5000
SAMPLE_ATTACHMENT = "attachments/history/sample.pdf"
SAMPLE_DISARMED = "attachments/history/sample.pdf.disarmed"

# Shares of final states over two years, and of the states still open now.
STATE_WEIGHTS = {
    A.DRAFT: 4, A.IN_REVIEW: 7, A.NEEDS_CORRECTION: 2, A.APPROVED: 0.3, A.ISSUED: 63, A.REJECTED: 14, A.WITHDRAWN: 9.7,
}
RATED_SHARE = 0.35
# Rectification cases of bad ratings: written by the deadline, and rated again after.
RECTIFIED_IN_TIME_SHARE, FOLLOWED_UP_SHARE = 0.8, 0.6
RECTIFICATION_ACCOUNTS = [
    "Called the applicant, explained the decision again and corrected the wording of our letter.",
    "Briefed the officer on the time limit; the queue is now checked every morning.",
    "Added the missing document to the service guide so applicants know it before they apply.",
    "Apologised to the applicant and changed how corrections are explained in our messages.",
]
# Decisions that came after the applicant answered a correction request, and the longest wait.
ANSWERED_CORRECTION_SHARE, MAX_CORRECTION_WAIT = 0.08, 10
# How long a department takes, as a share of its time limit: most on time, some late (yellow
# card), a few very late (red card).
LATE_SHARE, VERY_LATE_SHARE = 0.08, 0.02

SURNAMES = [
    ("Wang", "王"), ("Li", "李"), ("Zhang", "张"), ("Liu", "刘"), ("Chen", "陈"), ("Yang", "杨"), ("Zhao", "赵"),
    ("Huang", "黄"), ("Zhou", "周"), ("Wu", "吴"), ("Xu", "徐"), ("Sun", "孙"), ("Hu", "胡"), ("Zhu", "朱"),
    ("Gao", "高"), ("Lin", "林"), ("He", "何"), ("Guo", "郭"), ("Ma", "马"), ("Luo", "罗"), ("Liang", "梁"),
    ("Song", "宋"), ("Zheng", "郑"), ("Xie", "谢"), ("Han", "韩"), ("Tang", "唐"), ("Feng", "冯"), ("Deng", "邓"),
]
GIVEN_NAMES = [
    ("Fang", "芳"), ("Wei", "伟"), ("Na", "娜"), ("Min", "敏"), ("Jing", "静"), ("Lei", "磊"), ("Qiang", "强"),
    ("Yang", "洋"), ("Yan", "艳"), ("Jie", "杰"), ("Tao", "涛"), ("Ming", "明"), ("Chao", "超"), ("Xiuying", "秀英"),
    ("Guiying", "桂英"), ("Haiyan", "海燕"), ("Jianhua", "建华"), ("Xiaoming", "晓明"), ("Yuxuan", "雨轩"),
    ("Zihan", "子涵"), ("Haoran", "浩然"), ("Shuang", "爽"), ("Hui", "慧"), ("Bo", "波"), ("Hong", "红"),
    ("Lan", "兰"), ("Ping", "平"), ("Dan", "丹"), ("Kai", "凯"), ("Xin", "欣"),
]
OTHER_NAMES = [
    "Maria Santos", "Anna Müller", "James O'Brien", "Nguyen Van An", "Kim Min-jun", "Sato Yuki", "Priya Sharma",
    "Olga Petrova", "Ahmed Hassan", "Lucía Fernández", "Tan Wei Ling", "David Cohen",
]
STREETS = ["Harbour Road", "Zhongshan Road", "Renmin Avenue", "Jiefang Road", "Binjiang Road", "Huaihai Road",
           "Nanjing Road", "Xinhua Street", "Chang'an Street", "Wenhua Road"]
BUSINESS_WORDS = ["Golden Dragon", "Jade Garden", "Lotus", "Red Lantern", "Silver Bamboo", "Morning Star", "Harmony",
                  "Peach Blossom", "Blue Sky", "Spring Rain", "Evergreen", "Phoenix", "Pearl River", "West Lake"]
BUSINESS_KINDS = ["Noodle House", "Dumpling Bar", "Tea House", "Bakery", "Trading Co.", "Hotpot", "Workshop",
                  "Supermarket", "Bookstore", "Cafe", "Printing Co.", "Garments"]
CONDITIONS = [
    "Display the licence at the entrance.", "Annual kitchen inspection.", "Keep the fire exits clear at all times.",
    "Grease trap to be cleaned monthly.", "Sign to be removed when the lease ends.",
    "Notify the bureau of any change of legal representative within 30 days.", "营业执照须在店内显著位置悬挂。",
    "每季度清洗油烟净化设施一次。",
]
REJECTION_REASONS = [
    "The site is not zoned for this use.", "The floor plan does not show the required fire exits.",
    "The business name is already registered by another company.", "The lease contract has expired.",
    "The sign exceeds the permitted area for this street.", "The safety plan does not cover crowd control.",
    "经营场所不符合规划用途。", "提交的材料与实际情况不符。",
]
CORRECTION_MESSAGES = [
    "Please give the name exactly as registered.", "The document is not legible: please upload a clearer scan.",
    "Please correct the floor area: it does not match the floor plan.", "请补充完整的材料。",
    "Please check the address: the building number is missing.",
]
RATING_COMMENTS = ["Fast and clear, thank you.", "办理很快，服务很好。", "Had to correct the form twice.",
                   "一次都没跑，很方便。", "The fire inspection took too long.", ""]


# --- The context of a run ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServicePlan:
    id: int
    version_id: int
    slug: str
    schema: Schema
    stages: list[list[dict]]  # reviews per stage, in stage order: {"department_id", "code", "sla_days", "fields"}
    permit_valid_days: int
    file_keys: list[str]


@dataclass
class Context:
    seed: int
    now: datetime
    services: list[ServicePlan]
    service_weights: list[float]
    citizens: list[tuple[int, str]]  # (pk, full name)
    officers: dict[int, list[int]]  # department id → officer and supervisor pks
    workdays: WorkingDays  # the catalogue's working days
    tz: ZoneInfo
    sample_size: int = 0
    sample_sha256: str = ""
    sample_disarmed_sha256: str = ""
    # Department id → its working days, for departments with a calendar of their own: built once.
    department_workdays: dict[int, WorkingDays] = field(default_factory=dict)
    # Department id → who owns its rectification cases (approvals.rectifications.owners_of).
    rectification_owners: dict[int, int | None] = field(default_factory=dict)

    def workdays_of(self, department_id: int) -> WorkingDays:
        return self.department_workdays.get(department_id, self.workdays)


@dataclass
class Plan:
    application: dict
    reviews: list[dict] = field(default_factory=list)
    permit: dict | None = None
    rating: dict | None = None
    rectifications: list[dict] = field(default_factory=list)
    attachments: list[dict] = field(default_factory=list)


# --- Planning one application (pure: no database) -------------------------------------------------------


def person_name(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.1:
        return rng.choice(OTHER_NAMES)
    (sp, sh), (gp, gh) = rng.choice(SURNAMES), rng.choice(GIVEN_NAMES)
    return f"{sh}{gh}" if roll < 0.3 else f"{sp} {gp} {sh}{gh}"


def citizen_row(seed: int, number: int, joined: datetime) -> dict:
    rng = random.Random(f"citizen:{seed}:{number}")
    return {
        "email": f"citizen{number:07d}@{CITIZEN_DOMAIN}", "full_name": person_name(rng),
        "phone": f"+86 1{rng.randrange(30, 99)} {rng.randrange(1000, 9999)} {rng.randrange(1000, 9999)}",
        "id_number": f"{rng.randrange(110000, 659000)}{rng.randrange(1950, 2005)}{rng.randrange(101, 1228):04d}"
                     f"{rng.randrange(1000, 9999)}",
        "address": f"{rng.randrange(1, 400)} {rng.choice(STREETS)}",
        "language": "zh-hans" if rng.random() < 0.6 else "en",
        "date_joined": joined - timedelta(days=rng.uniform(0, HISTORY_DAYS + 365)),
    }


def _local(ctx: Context, moment: datetime) -> date:
    return moment.astimezone(ctx.tz).date()


def _at(ctx: Context, day: date, rng: random.Random, start_hour=9, end_hour=18) -> datetime:
    """A moment in office hours of a local day."""
    seconds = rng.uniform(start_hour * 3600, end_hour * 3600)
    return (datetime.combine(day, time(), ctx.tz) + timedelta(seconds=seconds)).astimezone(UTC)


def _beat(ctx: Context, day: date) -> datetime:
    # Reminders and cards are stamped by the morning beat of the local day.
    return datetime.combine(day, time(8, 0), ctx.tz).astimezone(UTC)


def _work_days(rng: random.Random, sla: int) -> int:
    roll = rng.random()
    if roll < VERY_LATE_SHARE:
        return 2 * sla + rng.randint(1, sla)
    if roll < VERY_LATE_SHARE + LATE_SHARE:
        return sla + rng.randint(1, sla)
    return rng.randint(0, sla)


def _answers(rng: random.Random, schema: Schema, name: str, partial: bool) -> dict:
    business = f"{rng.choice(BUSINESS_WORDS)} {rng.choice(BUSINESS_KINDS)}"
    address = f"{rng.randrange(1, 400)} {rng.choice(STREETS)}"
    answers = {}
    for spec in schema.fields:
        key, kind = spec["key"], spec["kind"]
        if kind == "file" or (partial and rng.random() < 0.5):
            continue
        lo, hi = spec.get("min"), spec.get("max")
        if key == "legal_representative":
            value = name[:spec.get("max_length") or 50]
        elif key in ("business_name", "event_name", "sign_text"):
            value = business[:spec.get("max_length") or 60]
        elif key in ("site_address", "event_venue"):
            value = address
        elif key == "unified_social_credit_code":
            code = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(18))
            value = code[:17] + uscc.calc_check_digit(code[:17])  # well formed: the form checks the check character
        elif spec.get("format") == "address_code":
            value = f"110105{zlib.crc32(address.encode()) % 10 ** 10:010d}"  # the site's, well formed
        elif kind == "textarea":
            value = f"{business}: catering services; retail of packaged food."
        elif kind == "text":
            value = f"{business}"[: spec.get("max_length") or 120]
        elif kind == "email":
            value = "applicant@example.org"
        elif kind == "phone":
            value = f"+86 1{rng.randrange(30, 99)} {rng.randrange(1000, 9999)} {rng.randrange(1000, 9999)}"
        elif kind == "integer":
            value = rng.randint(int(lo or 1), min(int(hi or 500), 500))
        elif kind == "decimal":
            value = str(round(rng.uniform(float(lo or 1), min(float(hi or 500), 500)), 1))
        elif kind == "date":
            first = date_bound(lo, date(2026, 1, 1)) if lo else date(2026, 1, 1)  # "today" read as a fixed day
            value = (first + timedelta(days=rng.randrange(0, 365))).isoformat()
        elif kind == "choice":
            value = rng.choice(spec["choices"])["value"]
        elif kind == "multichoice":
            value = sorted({rng.choice(spec["choices"])["value"] for _ in range(rng.randint(1, 2))})
        elif kind == "boolean":
            value = rng.random() < 0.5
        else:
            continue
        answers[key] = value
    return answers


def _review(app_id: int, service_id: int, applicant_name: str, spec: dict, stage: int, business_name: str = "") -> dict:
    return {
        "application_id": app_id, "service_id": service_id, "department_id": spec["department_id"], "stage": stage,
        "applicant_name": applicant_name if spec["name_shown"] else "", "business_name": business_name,
        "unread_messages": 0,
        "sla_days": spec["sla_days"],
        "status": R.WAITING, "assignee_id": None, "pending_since": None, "routed_at": None, "started_on": None,
        "due_date": None, "remind_on": None, "red_on": None, "paused_on": None, "reminded_at": None,
        "yellow_at": None, "red_at": None, "decided_at": None, "decided_by_id": None, "conditions": "", "reason": "",
        "correction_fields": "[]", "correction_message": "", "version": 0, "updated_at": None, "extension_reason": "",
        "paused_days": 0,
        # Not columns: what the department owns, and its correction requests for the audit log.
        "_code": spec["code"], "_fields": spec["fields"], "_corrections": [],
    }


def _route(ctx: Context, rng: random.Random, review: dict, since: datetime) -> None:
    """Pending since ``since``, routed a moment later, the SLA clock started that local day."""
    wd = ctx.workdays_of(review["department_id"])
    routed = since + timedelta(seconds=rng.uniform(0.2, 3))
    start, sla = _local(ctx, routed), review["sla_days"]
    review.update(status=R.PENDING, pending_since=since, routed_at=routed, started_on=start,
                  remind_on=wd.add(start, reminder_day(sla)), due_date=wd.add(start, sla), red_on=wd.add(start, 2 * sla),
                  updated_at=routed)


def _stamp_clock(ctx: Context, review: dict, until: date) -> None:
    """Reminder and cards the beat stamped while the clock ran, up to the local day ``until``."""
    if review["due_date"] is None:
        return
    if review["remind_on"] <= until and review["remind_on"] <= review["due_date"]:
        review["reminded_at"] = _beat(ctx, review["remind_on"])
    if review["due_date"] < until:
        review["yellow_at"] = _beat(ctx, review["due_date"] + timedelta(days=1))
    if review["red_on"] < until:
        review["red_at"] = _beat(ctx, review["red_on"] + timedelta(days=1))
    for key in ("reminded_at", "yellow_at", "red_at"):
        if review[key] is not None and review[key] > ctx.now:
            review[key] = None


def _officer(ctx: Context, rng: random.Random, review: dict) -> int:
    # Drawn from a stream of its own: how many staff a department has changes who decided, not
    # what happened.
    staff = ctx.officers[review["department_id"]]
    return staff[random.Random(f"officer:{ctx.seed}:{rng.random()}").randrange(len(staff))]


def _correction(rng: random.Random, review: dict, at: datetime, officer: int) -> tuple[list[str], str]:
    fields = review["_fields"]
    fields = sorted(rng.sample(list(fields), k=min(len(fields), rng.randint(1, 2))))
    message = rng.choice(CORRECTION_MESSAGES)
    review["_corrections"].append({"at": at, "actor_id": officer, "fields": fields, "message": message})
    return fields, message


def _answered_correction(ctx: Context, rng: random.Random, review: dict, decided: datetime, officer: int) -> None:
    """A correction round before the decision at ``decided``: asked part way, answered some working
    days later (never after the decision day); the clock's dates move by the days waited."""
    wd = ctx.workdays_of(review["department_id"])
    asked = review["routed_at"] + (decided - review["routed_at"]) * rng.uniform(0.1, 0.5)
    room = wd.between(_local(ctx, asked), _local(ctx, decided))
    if room < 1:
        return
    waited = rng.randint(1, min(room, MAX_CORRECTION_WAIT))
    _correction(rng, review, asked, officer)
    review.update(paused_days=waited, version=review["version"] + 2,
                  **{key: wd.add(review[key], waited) for key in ("due_date", "remind_on", "red_on")})


def _decide(ctx, rng, review: dict, status: str, at: datetime) -> None:
    officer = review["assignee_id"] or _officer(ctx, rng, review)
    if status != R.CORRECTION_REQUESTED and review["_fields"] and rng.random() < ANSWERED_CORRECTION_SHARE:
        # Drawn from a stream of its own, so the rest of the plan stays as it was.
        _answered_correction(ctx, random.Random(f"correction:{ctx.seed}:{rng.random()}"), review, at, officer)
    _stamp_clock(ctx, review, _local(ctx, at))
    review.update(status=status, decided_at=at, decided_by_id=officer, assignee_id=officer, updated_at=at,
                  version=review["version"] + 2)
    if status == R.APPROVED and rng.random() < 0.25:
        review["conditions"] = rng.choice(CONDITIONS)
    elif status == R.REJECTED:
        review["reason"] = rng.choice(REJECTION_REASONS)
    elif status == R.CORRECTION_REQUESTED:
        fields, message = _correction(rng, review, at, officer)
        review.update(correction_fields=json.dumps(fields), correction_message=message, paused_on=_local(ctx, at))


def _cancel(review: dict, at: datetime) -> None:
    review.update(status=R.CANCELLED, decided_at=at, updated_at=at)


def _decision_time(ctx, rng, review: dict, end: datetime) -> datetime:
    """When a department decided: its working days after the clock started, never after ``end``
    (the stage's last decision) and never before it was routed."""
    day = ctx.workdays_of(review["department_id"]).add(review["started_on"], _work_days(rng, review["sla_days"]))
    moment = _at(ctx, day, rng)
    earliest = review["routed_at"] + timedelta(seconds=rng.uniform(60, 3600))
    if earliest >= end:  # routed minutes ago
        return review["routed_at"] + (end - review["routed_at"]) * rng.uniform(0.3, 0.9)
    if moment >= end:
        moment = end - timedelta(seconds=rng.uniform(1, min(600, (end - earliest).total_seconds())))
    return max(moment, earliest)


def _stage_start(ctx: Context, rng: random.Random, stage: list[dict], end: datetime) -> datetime:
    """When a stage that ended at ``end`` started: its slowest department's working days before."""
    days = max(_work_days(rng, spec["sla_days"]) for spec in stage)
    start = _at(ctx, ctx.workdays.back(_local(ctx, end), days), rng)
    if start >= end - timedelta(minutes=30):
        start = end - timedelta(minutes=rng.uniform(30, 240))
    return start


def plan_application(ctx: Context, index: int, app_id: int) -> Plan:
    rng = random.Random(f"application:{ctx.seed}:{index}")
    service = rng.choices(ctx.services, weights=ctx.service_weights)[0]
    applicant_id, name = ctx.citizens[rng.randrange(len(ctx.citizens))]
    state = rng.choices(list(STATE_WEIGHTS), weights=list(STATE_WEIGHTS.values()))[0]
    stages = service.stages
    last = len(stages) - 1
    now = ctx.now

    if state == A.DRAFT or (state == A.WITHDRAWN and rng.random() < 0.25):
        created = now - timedelta(days=rng.uniform(0, 60 if state == A.DRAFT else HISTORY_DAYS))
        application = _application(ctx, service, app_id, applicant_id, state, created,
                                   _answers(rng, service.schema, name, partial=True))
        if state == A.WITHDRAWN:
            application["withdrawn_at"] = application["updated_at"] = created + timedelta(days=rng.uniform(0.01, 20))
            application["withdrawn_at"] = min(application["withdrawn_at"], now)
            application["updated_at"] = application["withdrawn_at"]
        return Plan(application)

    # Drawn first: which questions are asked and which reviews apply depend on them (the engine's
    # one rule, catalogue.applicability), and so do the stages the story walks.
    answers = _answers(rng, service.schema, name, partial=False)
    applies = applied(service.schema, {**answers, **dict.fromkeys(service.file_keys, True)})
    answers = {key: value for key, value in answers.items() if applies.asks(key)}
    file_keys = [key for key in service.file_keys if applies.asks(key)]
    reviewing = set(applies.departments)
    stages = [stage for stage in ([s for s in specs if s["code"] in reviewing] for specs in stages) if stage]
    last = len(stages) - 1

    # The moment the story ends (the final decision or withdrawal; now while still open) and the
    # stage it ended in; then every stage is walked backwards from there.
    if state in (A.IN_REVIEW, A.NEEDS_CORRECTION):
        end, current = now, rng.randint(0, last)
    elif state == A.APPROVED:
        end, current = now - timedelta(minutes=rng.uniform(1, 120)), last
    elif state == A.ISSUED:
        end, current = now - timedelta(days=rng.uniform(0.01, HISTORY_DAYS)), last
    else:  # rejected, withdrawn
        end = now - timedelta(days=rng.uniform(0.01, HISTORY_DAYS))
        current = 0 if rng.random() < 0.7 else rng.randint(0, last)

    open_now = state in (A.IN_REVIEW, A.NEEDS_CORRECTION)
    starts = [None] * len(stages)
    stage_end = end
    for number in range(current, -1, -1):
        if open_now and number == current:
            # Started a few working days ago; some departments are already late.
            specs = stages[number]
            days = _work_days(rng, max(s["sla_days"] for s in specs))
            start = _at(ctx, ctx.workdays.back(_local(ctx, now), days), rng)
            if start >= now - timedelta(minutes=10):
                start = now - timedelta(minutes=rng.uniform(10, 300))
        else:
            start = _stage_start(ctx, rng, stages[number], stage_end)
        starts[number] = start
        stage_end = start
    submitted = starts[0]
    created = submitted - timedelta(minutes=rng.uniform(10, 4 * 24 * 60))

    application = _application(ctx, service, app_id, applicant_id, state, created, answers)
    application.update(submitted_at=submitted, current_stage=stages[current][0]["stage"],
                       reference=f"A-{_local(ctx, submitted).year}-{app_id:06d}")

    reviews = []
    for number, specs in enumerate(stages):
        stage_reviews = [_review(app_id, service.id, name, spec, spec["stage"], business_name_of(answers)) for spec in specs]
        reviews += stage_reviews
        if number > current:
            if state in (A.REJECTED, A.WITHDRAWN):
                for review in stage_reviews:
                    _cancel(review, end)
            continue
        for review in stage_reviews:
            _route(ctx, rng, review, starts[number])
        stage_close = starts[number + 1] if number < current else end
        if number < current or state in (A.APPROVED, A.ISSUED):
            # Every department approved; the last decision closed the stage.
            for i, review in enumerate(stage_reviews):
                at = stage_close if i == len(stage_reviews) - 1 else _decision_time(ctx, rng, review, stage_close)
                _decide(ctx, rng, review, R.APPROVED, at)
            continue
        _finish_current_stage(ctx, rng, state, stage_reviews, end)

    for review in reviews:
        review["updated_at"] = review["updated_at"] or submitted
    plan = Plan(application, reviews)
    last_time = max([end, *(r["updated_at"] or end for r in reviews)])
    application["updated_at"] = min(last_time, now)
    if state in (A.APPROVED, A.ISSUED):
        application["decided_at"] = end
        plan.permit = _permit(ctx, rng, service, app_id, submitted, end, rendered=state == A.ISSUED)
    elif state == A.REJECTED:
        application["decided_at"] = end
    elif state == A.WITHDRAWN:
        application["withdrawn_at"] = end
    if state in (A.APPROVED, A.ISSUED, A.REJECTED) and rng.random() < RATED_SHARE:
        plan.rating = _rating(rng, app_id, applicant_id, end, now, rejected=state == A.REJECTED)
        if plan.rating and plan.rating["score"] <= LOW_RATING_MAX:
            # A stream of its own, so the cases change nothing else the seed gives.
            plan.rectifications = _rectifications(ctx, random.Random(f"rectification:{ctx.seed}:{index}"), plan.rating,
                                                  reviews, service.schema.rectify_days)
    plan.attachments = [
        {"application_id": app_id, "field_key": key, "file": SAMPLE_ATTACHMENT,
         "original_name": f"{key.replace('_', '-')}.pdf", "content_type": "application/pdf", "size": ctx.sample_size,
         "sha256": ctx.sample_sha256, "uploaded_at": created + (submitted - created) * rng.uniform(0.2, 0.9),
         "disarmed_file": SAMPLE_DISARMED, "disarmed_sha256": ctx.sample_disarmed_sha256}
        for key in file_keys
    ]
    return plan


def _finish_current_stage(ctx, rng, state, reviews: list[dict], end: datetime) -> None:
    now = ctx.now
    if state in (A.IN_REVIEW, A.NEEDS_CORRECTION):
        # The chosen department is still at work (in review) or asked for a correction.
        chosen = rng.randrange(len(reviews))
        for i, review in enumerate(reviews):
            roll = rng.random()
            if state == A.NEEDS_CORRECTION and (i == chosen or roll < 0.1):
                _decide(ctx, rng, review, R.CORRECTION_REQUESTED, _decision_time(ctx, rng, review, now))
            elif i != chosen and roll < 0.35:
                _decide(ctx, rng, review, R.APPROVED, _decision_time(ctx, rng, review, now))
            else:
                if roll < 0.7:
                    review.update(status=R.IN_PROGRESS, assignee_id=_officer(ctx, rng, review), version=1)
                _stamp_clock(ctx, review, _local(ctx, now))
    else:  # rejected or withdrawn in this stage
        rejecting = rng.randrange(len(reviews)) if state == A.REJECTED else None
        for i, review in enumerate(reviews):
            if i == rejecting:
                _decide(ctx, rng, review, R.REJECTED, end)
            elif rng.random() < 0.4:
                _decide(ctx, rng, review, R.APPROVED, _decision_time(ctx, rng, review, end))
            else:
                if rng.random() < 0.5:
                    review.update(assignee_id=_officer(ctx, rng, review), version=1)
                _stamp_clock(ctx, review, _local(ctx, end))
                _cancel(review, end)


def _application(ctx, service: ServicePlan, app_id, applicant_id, state, created, answers) -> dict:
    return {
        "id": app_id, "reference": None, "applicant_id": applicant_id, "service_id": service.id,
        "service_version_id": service.version_id, "status": state, "answers": json.dumps(answers, ensure_ascii=False),
        "current_stage": None, "created_at": created, "updated_at": created, "submitted_at": None,
        "decided_at": None, "withdrawn_at": None, "check_code": new_check_code(),
    }


def _permit(ctx, rng, service: ServicePlan, app_id, submitted: datetime, decided: datetime, rendered: bool) -> dict:
    valid_from = decided.astimezone(ctx.tz).date()
    return {
        "application_id": app_id, "number": f"P-{submitted.year}-{app_id:06d}", "status": "valid",
        "issued_at": decided, "valid_from": valid_from,
        "valid_until": valid_from + timedelta(days=service.permit_valid_days),
        "file": "", "sha256": "",
        "rendered_at": min(decided + timedelta(seconds=rng.uniform(1, 30)), ctx.now) if rendered else None,
        "render_claimed_at": None, "render_attempts": 1 if rendered else 0, "revoked_at": None,
        "revocation_reason": "", "verify_code": new_verify_code(),
    }


def _rating(rng, app_id, applicant_id, decided: datetime, now: datetime, rejected: bool) -> dict | None:
    at = decided + timedelta(hours=rng.uniform(1, 240))
    if at > now:
        return None
    weights = [30, 20, 20, 15, 15] if rejected else [3, 4, 8, 25, 60]
    return {"application_id": app_id, "rated_by_id": applicant_id, "score": rng.choices([1, 2, 3, 4, 5], weights)[0],
            "comment": rng.choice(RATING_COMMENTS), "created_at": at}


def _rectifications(ctx: Context, rng: random.Random, rating: dict, reviews: list[dict], days: int) -> list[dict]:
    """The cases a bad rating opened, one per department that decided (``rating_id`` is filled in
    once the rating is written)."""
    rated, cases = rating["created_at"], []
    for department_id in dict.fromkeys(r["department_id"] for r in reviews if r["decided_by_id"]):
        wd, owner = ctx.workdays_of(department_id), ctx.rectification_owners.get(department_id)
        day = _local(ctx, rated)
        due = wd.add(day, days)
        case = {"application_id": rating["application_id"], "department_id": department_id, "owner_id": owner,
                "status": X.OPEN, "opened_at": rated, "due_date": due, "remind_on": wd.add(day, reminder_day(days)),
                "reminded_at": None, "escalated_at": None, "account": "", "closed_at": None, "closed_by_id": None,
                "follow_up_score": None, "follow_up_comment": "", "follow_up_at": None}
        taken = wd.add(day, rng.randint(1, days)) if rng.random() < RECTIFIED_IN_TIME_SHARE else \
            wd.add(day, days + rng.randint(1, 6))
        closed = _at(ctx, taken, rng)
        if case["remind_on"] < taken and case["remind_on"] < _local(ctx, ctx.now):
            case["reminded_at"] = _beat(ctx, case["remind_on"])
        if due < min(taken, _local(ctx, ctx.now)):
            case["escalated_at"] = _beat(ctx, due + timedelta(days=1))
        if closed <= ctx.now:
            case.update(status=X.CLOSED, closed_at=closed, closed_by_id=owner, account=rng.choice(RECTIFICATION_ACCOUNTS))
            again = closed + timedelta(hours=rng.uniform(2, 120))
            if again <= ctx.now and rng.random() < FOLLOWED_UP_SHARE:
                case.update(status=X.FOLLOWED_UP, follow_up_at=again,
                            follow_up_score=rng.choices([1, 2, 3, 4, 5], [10, 10, 25, 30, 25])[0])
        cases.append(case)
    return cases


# --- Writing (PostgreSQL COPY) -----------------------------------------------------------------------------

APPLICATION_COLUMNS = ["id", "reference", "applicant_id", "service_id", "service_version_id", "status", "answers",
                       "current_stage", "created_at", "updated_at", "submitted_at", "decided_at", "withdrawn_at",
                       "check_code"]
REVIEW_COLUMNS = [
    "application_id", "service_id", "department_id", "stage", "sla_days", "status", "assignee_id", "pending_since", "routed_at",
    "started_on", "due_date", "remind_on", "red_on", "paused_on", "reminded_at", "yellow_at", "red_at", "decided_at",
    "decided_by_id", "conditions", "reason", "correction_fields", "correction_message", "version", "updated_at",
    "extension_reason", "paused_days", "applicant_name", "business_name", "unread_messages",
]
PERMIT_COLUMNS = ["application_id", "number", "status", "issued_at", "valid_from", "valid_until", "file", "sha256",
                  "rendered_at", "render_claimed_at", "render_attempts", "revoked_at", "revocation_reason",
                  "verify_code"]
RATING_COLUMNS = ["application_id", "rated_by_id", "score", "comment", "created_at"]
RECTIFICATION_COLUMNS = ["rating_id", "application_id", "department_id", "owner_id", "status", "opened_at", "due_date",
                         "remind_on", "reminded_at", "escalated_at", "account", "closed_at", "closed_by_id",
                         "follow_up_score", "follow_up_comment", "follow_up_at"]
ATTACHMENT_COLUMNS = ["application_id", "field_key", "file", "original_name", "content_type", "size", "sha256",
                      "uploaded_at", "disarmed_file", "disarmed_sha256"]
AUDIT_COLUMNS = ["at", "actor_id", "actor_label", "action", "object_type", "object_id", "subject_id", "application_id",
                 "department_code", "ip", "purpose", "details", "prev_hash", "hash"]
TOTALS = ("applications", "reviews", "permits", "ratings", "rectifications", "attachments", "correction_requests")


def _copy(cursor, table: str, columns: list[str], rows) -> int:
    count = 0
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])
            count += 1
    return count


def _services() -> tuple[list[ServicePlan], list[float]]:
    departments = dict(Department.objects.values_list("code", "pk"))
    plans, weights = [], []
    for service in Service.objects.filter(is_active=True, current_version__isnull=False).select_related(
            "current_version").order_by("position", "slug"):
        schema = Schema(service.current_version.schema)
        stages = [
            [{"department_id": departments[r["department"]], "code": r["department"], "sla_days": r["sla_days"],
              "fields": list(r["fields"]), "stage": r["stage"], "name_shown": name_shown(schema, r["department"])}
             for r in schema.reviews if r["stage"] == stage]
            for stage in schema.stages
        ]
        plans.append(ServicePlan(
            id=service.pk, version_id=service.current_version_id, slug=service.slug, schema=schema, stages=stages,
            permit_valid_days=schema.data["service"]["permit_valid_days"],
            file_keys=[f["key"] for f in schema.fields if f["kind"] == "file" and f.get("required")],
        ))
        # Restaurants and shops are the everyday services; events and signs rarer.
        weights.append({"open-a-restaurant": 4, "open-a-retail-shop": 3}.get(service.slug, 1))
    return plans, weights


def ensure_staff(*, seed: int) -> dict[int, list[int]]:
    """Named officers and supervisors for every department (created once), plus any staff the
    department already has; returns department id → user pks."""
    User = get_user_model()
    password = make_password(None)  # unusable: generated staff sign in only through the tests' force_login
    for department in Department.objects.order_by("code"):
        for role, count in ((MembershipRole.OFFICER, OFFICERS_PER_DEPARTMENT),
                            (MembershipRole.SUPERVISOR, SUPERVISORS_PER_DEPARTMENT)):
            for number in range(1, count + 1):
                rng = random.Random(f"staff:{seed}:{department.code}:{role}:{number}")
                user, _created = User.objects.get_or_create(
                    email=f"{role}{number:02d}.{department.code}@{STAFF_DOMAIN}",
                    defaults={"full_name": person_name(rng), "role": Role(role), "email_verified": True,
                              "password": password},
                )
                Membership.objects.get_or_create(user=user, department=department, defaults={"role": role})
    staff: dict[int, list[int]] = {}
    for department_id, user_id in (Membership.objects.filter(user__is_active=True)
                                   .order_by("department_id", "user_id").values_list("department_id", "user_id")):
        staff.setdefault(department_id, []).append(user_id)
    return staff


def ensure_citizens(*, seed: int, count: int, now: datetime) -> list[tuple[int, str]]:
    """The applicant pool: citizens ``citizen0000001@history.example.org`` …, created when missing."""
    User = get_user_model()
    existing = dict(User.objects.filter(email__endswith=f"@{CITIZEN_DOMAIN}").values_list("email", "pk"))
    password = make_password(None)
    missing = [n for n in range(1, count + 1) if f"citizen{n:07d}@{CITIZEN_DOMAIN}" not in existing]
    columns = ["email", "full_name", "phone", "id_number", "address", "language", "date_joined", "password",
               "role", "email_verified", "is_active", "is_staff", "is_superuser"]
    fixed = {"password": password, "role": Role.CITIZEN.value, "email_verified": True, "is_active": True,
             "is_staff": False, "is_superuser": False}
    with transaction.atomic(), connection.cursor() as cursor:
        _copy(cursor.cursor, "accounts_user", columns, ({**citizen_row(seed, n, now), **fixed} for n in missing))
    rows = (User.objects.filter(email__endswith=f"@{CITIZEN_DOMAIN}").order_by("email")
            .values_list("pk", "full_name", "email"))
    pool = {email: (pk, name) for pk, name, email in rows}
    return [pool[f"citizen{n:07d}@{CITIZEN_DOMAIN}"] for n in range(1, count + 1)]


def _sample_attachment() -> tuple[int, str, str]:
    """The sample PDF and its disarmed copy, stored once: (size, SHA-256, the copy's SHA-256)."""
    content = blank_pdf()
    copy = disarm_pdf(content)
    for name, data in ((SAMPLE_ATTACHMENT, content), (SAMPLE_DISARMED, copy)):
        if not default_storage.exists(name):
            default_storage.save(name, ContentFile(data))
    return len(content), hashlib.sha256(content).hexdigest(), hashlib.sha256(copy).hexdigest()


def build_context(*, seed: int, applications: int, now: datetime | None = None,
                  citizens: int | None = None) -> Context:
    now = now or datetime.now(UTC)
    tz = ZoneInfo(settings.TIME_ZONE)
    services, weights = _services()
    if not services:
        raise ValueError("No active service: load the catalogue first (manage.py seed_demo or load_catalogue).")
    today = now.astimezone(tz).date()
    calendars, first, last = load_calendars(), today - timedelta(days=HISTORY_DAYS + 400), today + timedelta(days=400)
    size, digest, disarmed_digest = _sample_attachment()
    return Context(
        seed=seed, now=now, services=services, service_weights=weights,
        citizens=ensure_citizens(seed=seed, count=citizens or max(20, applications // 3), now=now),
        officers=ensure_staff(seed=seed), workdays=WorkingDays(calendars.base, first, last), tz=tz,
        sample_size=size, sample_sha256=digest,
        sample_disarmed_sha256=disarmed_digest,
        department_workdays={pk: WorkingDays(calendar, first, last) for pk, calendar in calendars.departments.items()},
        rectification_owners=owners_of(Department.objects.values_list("pk", flat=True)),
    )


def _reserve_application_ids(cursor, count: int) -> list[int]:
    cursor.execute("SELECT nextval(pg_get_serial_sequence('approvals_application', 'id')) FROM generate_series(1, %s)",
                   [count])
    return sorted(row[0] for row in cursor.fetchall())


def write_batch(ctx: Context, start: int, count: int) -> dict[str, int]:
    """Plan and write applications ``start`` … ``start + count - 1`` of the run in one transaction."""
    totals = dict.fromkeys(TOTALS, 0)
    with transaction.atomic(), connection.cursor() as wrapper:
        cursor = wrapper.cursor
        ids = _reserve_application_ids(cursor, count)
        plans = [plan_application(ctx, start + i, app_id) for i, app_id in enumerate(ids)]
        totals["applications"] = _copy(cursor, "approvals_application", APPLICATION_COLUMNS,
                                       (p.application for p in plans))
        totals["reviews"] = _copy(cursor, "approvals_review", REVIEW_COLUMNS, (r for p in plans for r in p.reviews))
        totals["permits"] = _copy(cursor, "permits_permit", PERMIT_COLUMNS, (p.permit for p in plans if p.permit))
        totals["ratings"] = _copy(cursor, "approvals_rating", RATING_COLUMNS, (p.rating for p in plans if p.rating))
        totals["rectifications"] = _copy(cursor, "approvals_rectification", RECTIFICATION_COLUMNS,
                                         _rated_cases(cursor, plans))
        totals["attachments"] = _copy(cursor, "approvals_attachment", ATTACHMENT_COLUMNS,
                                      (a for p in plans for a in p.attachments))
        totals["correction_requests"] = _copy(cursor, AuditEvent._meta.db_table, AUDIT_COLUMNS,
                                              _correction_events(cursor, plans))
    return totals


def _rated_cases(cursor, plans: list[Plan]) -> list[dict]:
    """The plans' rectification cases with their rating's id (read back after the ratings' COPY)."""
    cases = [case for p in plans for case in p.rectifications]
    if not cases:
        return []
    cursor.execute("SELECT application_id, id FROM approvals_rating WHERE application_id = ANY(%s)",
                   [sorted({case["application_id"] for case in cases})])
    ratings = dict(cursor.fetchall())
    return [{**case, "rating_id": ratings[case["application_id"]]} for case in cases]


def _correction_events(cursor, plans: list[Plan]) -> list[dict]:
    """Audit events of the plans' correction requests, unsealed (``generate_history`` seals them).
    A list, not a generator: it reads review ids, which cannot happen while a COPY is open."""
    asked = [(p, r) for p in plans for r in p.reviews if r["_corrections"]]
    if not asked:
        return []
    cursor.execute("SELECT application_id, department_id, id FROM approvals_review WHERE application_id = ANY(%s)",
                   [sorted({p.application["id"] for p, _r in asked})])
    review_ids = {(app, department): pk for app, department, pk in cursor.fetchall()}
    events = []
    for plan, review in asked:
        application = plan.application
        events += [{
            "at": request["at"], "actor_id": request["actor_id"], "actor_label": "",
            "action": Action.REVIEW_CORRECTION.value, "object_type": "review",
            "object_id": str(review_ids[(application["id"], review["department_id"])]),
            "subject_id": application["applicant_id"], "application_id": application["id"],
            "department_code": review["_code"], "ip": None, "purpose": "",
            "details": json.dumps({"fields": request["fields"], "message": request["message"]}, ensure_ascii=False),
            "prev_hash": "", "hash": "",
        } for request in review["_corrections"]]
    return events


def generate_history(*, applications: int, seed: int = 1, batch: int = DEFAULT_BATCH, now: datetime | None = None,
                     progress=None) -> dict[str, int]:
    """Write ``applications`` planned applications; returns how many rows of each kind."""
    if connection.vendor != "postgresql":
        raise ValueError("generate_history writes with PostgreSQL COPY: set DATABASE_URL to a PostgreSQL database.")
    ctx = build_context(seed=seed, applications=applications, now=now)
    totals = dict.fromkeys(TOTALS, 0)
    for start in range(0, applications, batch):
        for key, value in write_batch(ctx, start, min(batch, applications - start)).items():
            totals[key] += value
        if progress:
            progress(totals)
    audit_seal()
    # Fresh statistics for the planner; VACUUM also sets the visibility map that index-only scans
    # need (outside a transaction only, so not inside a test's).
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
    with connection.cursor() as cursor:
        for table in ("approvals_application", "approvals_review", "permits_permit", "approvals_rating",
                      "approvals_rectification",
                      "approvals_attachment", "accounts_user", AuditEvent._meta.db_table):
            cursor.execute(f"{command} {table}")
    return totals

