"""The workspace's lists in two tabs (complaints, filings, rectifications): which tab is shown, and
which page of it."""

from collections.abc import Callable, Sequence

from django.core.paginator import Paginator
from django.db.models import QuerySet

from approvals.sla import local_today


def tabbed_page(request, tabs: Sequence[tuple[str, str]], select: Callable[[str], QuerySet], per_page: int) -> dict:
    """The context of a tabbed list: the tab asked for (?tab=; the first for anything else, which is
    no error), the page of what ``select`` gives for it, the tabs (key, label) and today's date."""
    keys = [key for key, _label in tabs]
    tab = request.GET.get("tab") if request.GET.get("tab") in keys else keys[0]
    page = Paginator(select(tab), per_page).get_page(request.GET.get("page"))
    return {"tab": tab, "tabs": tabs, "page": page, "today": local_today()}
