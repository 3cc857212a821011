"""The forms of a page as a browser sees them: each form's action, method, the values it would send
as it stands (hidden inputs such as the CSRF token, text as filled in, checked boxes, selected
options) and its file inputs. The load test reads the CSRF token from the form, as a browser does,
and changes only what a person would change."""

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Form:
    action: str
    method: str
    values: dict[str, list[str]] = field(default_factory=dict)  # what it sends as it stands
    choices: dict[str, list[str]] = field(default_factory=dict)  # radios, checkboxes, options by name
    files: list[str] = field(default_factory=list)
    buttons: dict[str, str] = field(default_factory=dict)  # named submit buttons

    def data(self, **changes) -> list[tuple[str, str]]:
        """What the form sends with ``changes`` (name → value or list of values; None: left out)."""
        sent = {**self.values, **{k: v if isinstance(v, list) else [v] for k, v in changes.items() if v is not None}}
        for name in [k for k, v in changes.items() if v is None]:
            sent.pop(name, None)
        return [(name, value) for name, values in sent.items() for value in values]


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: str | None = None
        self.select_first: str | None = None
        self.select_chosen = False
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self.form = Form(action=a.get("action", ""), method=a.get("method", "get").lower())
            self.forms.append(self.form)
            return
        if self.form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind == "file":
                self.form.files.append(name)
            elif kind in ("submit", "image", "button", "reset"):
                if kind == "submit":
                    self.form.buttons[name] = a.get("value", "")
            elif kind in ("radio", "checkbox"):
                self.form.choices.setdefault(name, []).append(a.get("value", "on"))
                if "checked" in a:
                    self.form.values.setdefault(name, []).append(a.get("value", "on"))
            else:
                self.form.values[name] = [a.get("value", "")]
        elif tag == "button" and name:
            self.form.buttons[name] = a.get("value", "")
        elif tag == "select" and name:
            self.select, self.select_first, self.select_chosen = name, None, False
        elif tag == "option" and self.select:
            value = a.get("value", "")
            self.form.choices.setdefault(self.select, []).append(value)
            if self.select_first is None:
                self.select_first = value
            if "selected" in a:
                self.form.values[self.select] = [value]
                self.select_chosen = True
        elif tag == "textarea" and name:
            self.textarea, self.text = name, ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "select" and self.select and self.form is not None:
            if not self.select_chosen and self.select_first is not None:
                self.form.values[self.select] = [self.select_first]
            self.select = None
        elif tag == "textarea" and self.textarea and self.form is not None:
            self.form.values[self.textarea] = [self.text.removeprefix("\n")]
            self.textarea = None

    def handle_data(self, data):
        if self.textarea:
            self.text += data


def forms_in(html: str) -> list[Form]:
    parser = _Parser()
    parser.feed(html)
    return parser.forms


# The site chrome's forms on every page (sign out, text size, language): never the page's own.
CHROME_ACTIONS = ("/accounts/logout/", "/text-size/", "/i18n/setlang/")


def page_form(html: str) -> Form:
    """The page's own post form (not the site chrome's); LookupError if it has none."""
    for form in forms_in(html):
        if form.method == "post" and form.action not in CHROME_ACTIONS:
            return form
    raise LookupError("no form of its own on the page")


def form_to(html: str, action_contains: str) -> Form:
    """The page's first post form whose action contains ``action_contains``; LookupError if none."""
    for form in forms_in(html):
        if form.method == "post" and action_contains in form.action:
            return form
    raise LookupError(f"no form posting to …{action_contains}… on the page")
