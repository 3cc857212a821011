"""Conditions on earlier answers: when a field, a section or a review applies.

A condition is data, written in a catalogue file under ``when`` and frozen in a service version's
schema exactly as written (after ``normalise``). Its grammar:

    condition := {field_key: test, ...}        every test holds (one key or several)
               | {"all": [condition, ...]}      every condition holds
               | {"any": [condition, ...]}      at least one holds
               | {"not": condition}             the condition does not hold
    test      := value                           shorthand for {"eq": value}
               | {operator: operand, ...}        every operator holds

Operators, by the kind of the field they test:

    eq, ne                 every kind but file and multichoice
    gt, gte, lt, lte       integer, decimal, date (ISO dates)
    in                     choice, text, integer (a list of values); multichoice: any chosen is listed
    contains               multichoice (one value chosen)
    is_set                 any kind (true: answered; false: not answered)

An unanswered field fails every test but ``is_set: false`` (and ``ne``, since an absent answer is
not the value): a review that applies "when seats > 50" does not apply before seats are known.

``evaluate`` decides a condition over answers (the file questions answered count as answered);
``problems`` checks one against the fields a form asks before it (the loader names the file and
path); ``describe`` words it for people ("Number of seats is more than 50"). Nothing here calls
``eval`` or reads anything but the condition, the answers and the field definitions.
"""

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from core.i18n import translated

GROUPS = ("all", "any")
NUMERIC_KINDS = {"integer", "decimal"}
ORDERED_KINDS = NUMERIC_KINDS | {"date"}
COMPARISONS = ("gt", "gte", "lt", "lte")
# The operators each kind of field can be tested with.
OPERATORS_BY_KIND = {
    "text": {"eq", "ne", "in", "is_set"},
    "textarea": {"eq", "ne", "in", "is_set"},
    "email": {"eq", "ne", "in", "is_set"},
    "phone": {"eq", "ne", "in", "is_set"},
    "choice": {"eq", "ne", "in", "is_set"},
    "integer": {"eq", "ne", "in", "is_set", *COMPARISONS},
    "decimal": {"eq", "ne", "is_set", *COMPARISONS},
    "date": {"eq", "ne", "is_set", *COMPARISONS},
    "boolean": {"eq", "ne", "is_set"},
    "multichoice": {"contains", "in", "is_set"},
    "file": {"is_set"},
}
OPERATORS = frozenset().union(*OPERATORS_BY_KIND.values())
MAX_DEPTH = 8  # a condition deeper than this is a mistake, not a rule


def _answered(values: Mapping, key: str) -> bool:
    value = values.get(key)
    return value is not None and value != "" and value != []


def _number(value) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _day(value) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _comparable(kind: str, value):
    """The answer or operand as the kind compares it (None when it cannot be)."""
    if kind in NUMERIC_KINDS:
        return _number(value)
    if kind == "date":
        return _day(value)
    return value


COMPARE: dict[str, Callable] = {
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}


def _operator_holds(kind: str, operator: str, operand, answer, answered: bool) -> bool:
    if operator == "is_set":
        return answered == bool(operand)
    if operator == "ne":
        return not answered or _comparable(kind, answer) != _comparable(kind, operand)
    if not answered:
        return False
    if kind == "multichoice":
        chosen = set(answer) if isinstance(answer, list) else {answer}
        if operator == "contains":
            return operand in chosen
        return bool(chosen & set(operand))  # in
    if operator == "eq":
        return _comparable(kind, answer) == _comparable(kind, operand)
    if operator == "in":
        value = _comparable(kind, answer)
        return any(value == _comparable(kind, item) for item in operand)
    left, right = _comparable(kind, answer), _comparable(kind, operand)
    return left is not None and right is not None and COMPARE[operator](left, right)


def _tests(test) -> dict:
    """A field's test as {operator: operand}: a bare value is ``eq``."""
    return test if isinstance(test, dict) else {"eq": test}


def evaluate(condition: dict | None, values: Mapping, fields_by_key: Mapping[str, dict]) -> bool:
    """Whether ``condition`` holds over ``values`` (answers by key; a file question answered has any
    true value). No condition always holds. A field the form does not define fails its tests (the
    loader refuses such a condition; this keeps an old answer from deciding anything)."""
    if not condition:
        return True
    if "all" in condition:
        return all(evaluate(part, values, fields_by_key) for part in condition["all"])
    if "any" in condition:
        return any(evaluate(part, values, fields_by_key) for part in condition["any"])
    if "not" in condition:
        return not evaluate(condition["not"], values, fields_by_key)
    for key, test in condition.items():
        spec = fields_by_key.get(key)
        if spec is None:
            return False
        answered = _answered(values, key)
        answer = values.get(key)
        if not all(_operator_holds(spec["kind"], operator, operand, answer, answered)
                   for operator, operand in _tests(test).items()):
            return False
    return True


def referenced_keys(condition: dict | None) -> list[str]:
    """The field keys a condition reads, each once, in the order written."""
    keys: list[str] = []

    def walk(part):
        if not isinstance(part, dict):
            return
        for name, value in part.items():
            if name in GROUPS and isinstance(value, list):
                for item in value:
                    walk(item)
            elif name == "not":
                walk(value)
            elif name not in keys:
                keys.append(name)

    walk(condition)
    return keys


def problems(condition, fields_by_key: Mapping[str, dict], *, asked_before: set[str] | None = None,
             depth: int = 0) -> list[str]:
    """What is wrong with a condition, each as a sentence for the catalogue's author (empty when it
    is sound). ``asked_before``: the keys answered before the condition is decided (a field's
    earlier pages); None when every field of the form is (a review's condition)."""
    if depth > MAX_DEPTH:
        return [f"nested more than {MAX_DEPTH} levels deep"]
    if not isinstance(condition, dict) or not condition:
        return ["a condition is a mapping of field keys to tests, or one of all, any, not"]
    found: list[str] = []
    for name in GROUPS + ("not",):
        if name in condition and len(condition) > 1:
            return [f"'{name}' must be the only key of its mapping"]
    if (group := next((g for g in GROUPS if g in condition), None)) is not None:
        parts = condition[group]
        if not isinstance(parts, list) or not parts:
            return [f"'{group}' takes a non-empty list of conditions"]
        for part in parts:
            found += problems(part, fields_by_key, asked_before=asked_before, depth=depth + 1)
        return found
    if "not" in condition:
        return problems(condition["not"], fields_by_key, asked_before=asked_before, depth=depth + 1)
    for key, test in condition.items():
        found += _field_problems(key, test, fields_by_key, asked_before)
    return found


def _field_problems(key, test, fields_by_key, asked_before) -> list[str]:
    spec = fields_by_key.get(key) if isinstance(key, str) else None
    if spec is None:
        return [f"unknown field '{key}'"]
    if asked_before is not None and key not in asked_before:
        return [f"field '{key}' is not asked on an earlier page"]
    kind = spec["kind"]
    tests = _tests(test)
    if not tests:
        return [f"field '{key}': an empty test"]
    found = []
    for operator, operand in tests.items():
        if operator not in OPERATORS:
            found.append(f"field '{key}': unknown operator '{operator}' (one of {', '.join(sorted(OPERATORS))})")
        elif operator not in OPERATORS_BY_KIND.get(kind, set()):
            found.append(f"field '{key}' ({kind}) cannot be tested with '{operator}'")
        else:
            found += [f"field '{key}': {problem}" for problem in _operand_problems(spec, operator, operand)]
    return found


def _operand_problems(spec: dict, operator: str, operand) -> list[str]:
    if operator == "is_set":
        return [] if isinstance(operand, bool) else ["is_set takes true or false"]
    if operator == "in":
        if not isinstance(operand, list) or not operand:
            return ["'in' takes a non-empty list of values"]
        return [problem for item in operand for problem in _value_problems(spec, item)]
    return _value_problems(spec, operand)


def _value_problems(spec: dict, value) -> list[str]:
    """Whether ``value`` is one an answer to the field could be (its type, a listed choice)."""
    kind = spec["kind"]
    if kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
        return [] if ok else [f"{value!r} is not a whole number"]
    if kind == "decimal":
        ok = (isinstance(value, (int, float)) and not isinstance(value, bool)) or (
            isinstance(value, str) and _number(value) is not None)
        return [] if ok else [f"{value!r} is not a number"]
    if kind == "date":
        return [] if _day(value) is not None else [f"{value!r} is not a date (YYYY-MM-DD)"]
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{value!r} is not true or false"]
    if kind in ("choice", "multichoice"):
        values = [choice["value"] for choice in spec.get("choices") or []]
        return [] if value in values else [f"{value!r} is not one of its choices ({', '.join(map(str, values))})"]
    return [] if isinstance(value, str) else [f"{value!r} is not text"]


def dependency_cycle(conditions: Mapping[str, dict | None]) -> list[str] | None:
    """A cycle among fields' conditions (field → the fields its condition reads), as the keys
    around it with the first repeated at the end, or None."""
    graph = {key: [k for k in referenced_keys(condition) if k in conditions] for key, condition in conditions.items()}
    state: dict[str, int] = {}  # 1 visiting, 2 done
    path: list[str] = []

    def visit(key):
        state[key] = 1
        path.append(key)
        for nxt in graph.get(key, []):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if state.get(nxt) is None and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[key] = 2
        return None

    for key in graph:
        if state.get(key) is None and (cycle := visit(key)):
            return cycle
    return None


def combine(*conditions: dict | None) -> dict | None:
    """Conditions that must all hold, as one (None when there are none): a section's and its field's."""
    present = [condition for condition in conditions if condition]
    if not present:
        return None
    return present[0] if len(present) == 1 else {"all": present}


# Wording, for the citizen and the officer ------------------------------------------------------

def _label(spec: dict) -> str:
    return translated(spec.get("label")) or spec.get("key", "")


def shown_value(spec: dict, value) -> str:
    """One value of an answer in words: "Yes", a choice's label, a date, a number."""
    kind = spec["kind"]
    if kind == "boolean":
        return _("Yes") if value else _("No")
    if kind in ("choice", "multichoice"):
        for choice in spec.get("choices") or []:
            if choice["value"] == value:
                return translated(choice.get("label")) or str(value)
    if kind == "date" and (day := _day(value)):
        return day.isoformat()
    return str(value)


def _sentence(spec: dict, operator: str, operand, negated: bool) -> str:
    field = _label(spec)
    if operator == "is_set":
        answered = bool(operand) != negated
        return (_("%(field)s is answered") if answered else _("%(field)s is not answered")) % {"field": field}
    if operator == "in" or (operator == "contains"):
        values = ", ".join(shown_value(spec, item) for item in (operand if isinstance(operand, list) else [operand]))
        if spec["kind"] == "multichoice":
            text = (_("%(field)s does not include %(values)s") if negated
                    else _("%(field)s includes %(values)s"))
        else:
            text = _("%(field)s is not one of %(values)s") if negated else _("%(field)s is one of %(values)s")
        return text % {"field": field, "values": values}
    if negated:
        operator = {"eq": "ne", "ne": "eq", "gt": "lte", "gte": "lt", "lt": "gte", "lte": "gt"}[operator]
    if spec["kind"] == "boolean" and operator in ("eq", "ne"):
        holds = bool(operand) == (operator == "eq")
        return (_("%(field)s: yes") if holds else _("%(field)s: no")) % {"field": field}
    wording = {
        "eq": _("%(field)s is %(value)s"),
        "ne": _("%(field)s is not %(value)s"),
        "gt": _("%(field)s is more than %(value)s"),
        "gte": _("%(field)s is %(value)s or more"),
        "lt": _("%(field)s is less than %(value)s"),
        "lte": _("%(field)s is %(value)s or less"),
    }
    if spec["kind"] == "date":
        wording.update(gt=_("%(field)s is after %(value)s"), gte=_("%(field)s is on or after %(value)s"),
                       lt=_("%(field)s is before %(value)s"), lte=_("%(field)s is on or before %(value)s"))
    return wording[operator] % {"field": field, "value": shown_value(spec, operand)}


def describe(condition: dict | None, fields_by_key: Mapping[str, dict], *, negated: bool = False) -> str:
    """The condition in words in the active language ("Number of seats is more than 50 or Uses gas:
    yes"); ``negated`` words its opposite ("Number of seats is 50 or less and Uses gas: no")."""
    return _words(condition, fields_by_key, negated)[0] if condition else ""


def _words(condition: dict, fields_by_key, negated: bool) -> tuple[str, bool]:
    """The wording, and whether it joins several parts (bracketed when nested in another)."""
    if "not" in condition:
        return _words(condition["not"], fields_by_key, not negated)
    group = next((g for g in GROUPS if g in condition), None)
    if group is not None:
        parts = [_words(part, fields_by_key, negated) for part in condition[group]]
        conjunction = (group == "all") != negated
    else:
        parts = [(_sentence(fields_by_key[key], operator, operand, negated), False)
                 for key, test in condition.items() if key in fields_by_key
                 for operator, operand in _tests(test).items()]
        conjunction = not negated
    if len(parts) == 1:
        return parts[0]
    separator = _(" and ") if conjunction else _(" or ")
    return separator.join(f"({text})" if compound else text for text, compound in parts), True


def why_not(condition: dict | None, values: Mapping, fields_by_key: Mapping[str, dict]) -> str:
    """Why a condition that does not hold fails, in words: only the parts that failed ("Number of
    seats is 50 or less"), for "Fire safety review not needed: …"."""
    if not condition or evaluate(condition, values, fields_by_key):
        return ""
    if "all" in condition:
        failed = [part for part in condition["all"] if not evaluate(part, values, fields_by_key)]
        return _(" and ").join(why_not(part, values, fields_by_key) for part in failed)
    if len(condition) > 1 and not any(g in condition for g in (*GROUPS, "not")):
        failed = [{key: test} for key, test in condition.items() if not evaluate({key: test}, values, fields_by_key)]
        return _(" and ").join(why_not(part, values, fields_by_key) for part in failed)
    return describe(condition, fields_by_key, negated=True)
