"""The finder's pages, open to everyone: the list of finders, one finder's questions with what
applies to the answers (a GET form: the answers are the page's link, to print and share), and the
hand-over of the answers to a new application."""

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from approvals.prefill import GIVEN_PREFIX
from catalogue.schema import Schema
from catalogue.selectors import bundles

from .forms import QUERY_MAX, FinderForm, answers_query
from .results import finder_outcome, question_specs, shown
from .selectors import finder_for_page, finders_listed

SHOW = "show"  # the submit button's name: the form was sent, even with nothing answered


@require_GET
def finder_list(request):
    return render(request, "finder/list.html", {"finders": finders_listed()})


def _finder(slug: str):
    finder = finder_for_page(slug=slug)
    if finder is None:
        raise Http404
    return finder


@require_GET
def finder_page(request, slug):
    finder = _finder(slug)
    questions = question_specs(finder)
    # The bundle of the same life event, where the catalogue has one: every permit in one application.
    context = {"finder": finder, "bundle": bundles().filter(slug=finder.slug).first()}
    if len(request.META.get("QUERY_STRING", "")) > QUERY_MAX:
        # Never read: a link this long was not made by the finder.
        return render(request, "finder/finder.html", {
            **context, "form": FinderForm(questions=questions), "too_long": True}, status=400)
    sent = SHOW in request.GET or any(key in questions for key in request.GET)
    form = FinderForm(request.GET if sent else None, questions=questions)
    context.update(form=form, ignored=sent and any(key not in questions and key != SHOW for key in request.GET))
    if sent and form.is_valid():
        answers = form.answers()
        query = answers_query(answers)
        outcome = finder_outcome(finder=finder, answers=answers, user=request.user)
        for item in outcome.applying:
            item.apply_url = f"{reverse('finder:apply', args=[finder.slug, item.service.slug])}?{query}"
        link = reverse("finder:finder", args=[finder.slug]) + (f"?{query}" if query else f"?{SHOW}=1")
        context.update(outcome=outcome, link=request.build_absolute_uri(link),
                       answered=[(questions[key], shown(questions[key], value)) for key, value in answers.items()])
    return render(request, "finder/finder.html", context)


@require_GET
def apply(request, slug, service_slug):
    """The answers a new application of the service will start with, and the button starting it
    (approvals:start checks each against the service's own rules again)."""
    finder = _finder(slug)
    considered = next((c for c in finder.considered.all() if c.service.slug == service_slug), None)
    if considered is None:
        raise Http404
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    form = FinderForm(request.GET, questions=question_specs(finder))
    if not form.is_valid():
        return redirect(f"{reverse('finder:finder', args=[finder.slug])}?{request.GET.urlencode()}")
    answers = form.answers()
    schema = Schema(considered.service.current_version.schema)
    asked = {key: value for key, value in answers.items() if key in schema.fields_by_key}
    return render(request, "finder/apply.html", {
        "finder": finder, "service": considered.service,
        "carried": [(schema.fields_by_key[key], shown(schema.fields_by_key[key], value)) for key, value in asked.items()],
        "given": [(f"{GIVEN_PREFIX}{key}", value) for key, values in QueryDict(answers_query(asked)).lists()
                  for value in values],
        "back": f"{reverse('finder:finder', args=[finder.slug])}?{answers_query(answers)}",
    })

