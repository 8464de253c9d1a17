"""The create page (also the home page): one view serves the page, its HTMX fragments (the
composer when a tab is picked, the settings block when a choice changes) and the submit."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from ltxdash import access
from ltxdash.core.http import AuthedHttpRequest
from ltxdash.generations import pipeline
from ltxdash.generations.cards import build_cards
from ltxdash.generations.forms import GenerateForm, endpoint_from, form_values, role_label
from ltxdash.generations.inputs import CLIP_ROLES, STILL_ROLES, ready_clips
from ltxdash.generations.models import Generation, State
from ltxdash.generations.views.common import (
    POLL_SECONDS,
    TEMPLATE,
    status_context,
)
from ltxdash.ltx import catalog
from ltxdash.spend import budgets

CLIP_PICKER = 12  # the latest clips offered as inputs (a picked older one is added)
# HX-Target -> the partial that answers it.
FRAGMENTS = {"settings": "#settings_response", "composer": "#composer"}


@require_http_methods(["GET", "POST"])
def create(request: AuthedHttpRequest) -> HttpResponse:
    if not access.may_generate(request.user):
        if request.method == "POST":
            raise access.Refused("Viewers can watch, download and search clips, not make them.")
        return render(
            request, "generations/viewer.html", {"workspace": access.workspace(request.user)}
        )
    if request.method == "POST":
        return submit(request)
    endpoint, initial, notes = initial_values(request)
    form = GenerateForm(endpoint=endpoint, owner=request.user, initial=initial)
    fragment = FRAGMENTS.get(request.htmx.target or "") if request.htmx else None
    context = composer_context(form, notes=notes)
    if fragment is None:
        context |= status_context(request.user)
    return render(request, TEMPLATE + (fragment or ""), context)


def submit(request: AuthedHttpRequest) -> HttpResponse:
    endpoint = endpoint_from(request.POST.get("mode"))
    form = GenerateForm(request.POST, request.FILES, endpoint=endpoint, owner=request.user)
    generations: list[Generation] = []
    may_ask = False
    if form.is_valid():
        try:
            generations = pipeline.create_generations(
                owner=request.user,
                ask_approval=request.POST.get("ask_approval") == "1",
                **form.submission(),
            )
        except pipeline.PipelineError as exc:  # the active-clip limit, a budget, a cap
            form.add_error(None, str(exc))
            may_ask = getattr(exc, "may_ask", False)
    if not generations:
        # HTMX keeps the chosen files in the page (hx-preserve); a plain POST cannot.
        dropped = [] if request.htmx else [role for role in request.FILES if role in form.fields]
        context = composer_context(form, dropped=dropped) | {"may_ask": may_ask}
        if request.htmx:
            return render(request, TEMPLATE + "#composer", context, status=422)
        return render(request, TEMPLATE, context | status_context(request.user), status=422)
    if not request.htmx:
        messages.success(request, _queued_message(generations))
        return redirect(f"{reverse('generations:create')}?mode={endpoint}")
    # The next take starts from the same settings; the browser keeps the chosen files.
    next_form = GenerateForm(
        endpoint=endpoint,
        owner=request.user,
        initial=form.settings_values(),
        known_inputs=form.input_infos(),
    )
    context = composer_context(next_form) | {
        "new_cards": build_cards(
            sorted(generations, key=lambda g: g.pk, reverse=True), request.user
        ),
        "polling": True,
        "poll_seconds": POLL_SECONDS,
        "announcement": _queued_message(generations),
    }
    return render(request, TEMPLATE + "#submitted", context)


def _queued_message(generations: list[Generation]) -> str:
    if generations[0].state == State.AWAITING_APPROVAL:
        what = f"#{generations[0].pk}" if len(generations) == 1 else f"{len(generations)} takes"
        return f"Sent {what} to the workspace's admins for approval."
    if len(generations) == 1:
        return f"Queued #{generations[0].pk}."
    return f"Queued {len(generations)} takes: #{generations[-1].pk} to #{generations[0].pk}."


def initial_values(request: AuthedHttpRequest) -> tuple[str, dict[str, Any], list[str]]:
    """The endpoint and starting values: the query string, ?from=<pk> ("use these settings")
    and ?source=<pk> (a clip as the input). Both 404 for anyone else's clip."""
    values: dict[str, Any] = request.GET.dict()
    notes: list[str] = []
    endpoint = values.get("mode")
    if "from" in values:
        earlier = access.generation(request.user, values.pop("from"))
        endpoint = earlier.endpoint
        values = {**settings_of(earlier, notes), **values, "mode": endpoint}
    if not values.get("source"):
        values.pop("source", None)  # the picker's "None" sends an empty source=
    else:
        clip = access.generation(request.user, values["source"], queryset=ready_clips(request.user))
        if "mode" not in request.GET and "from" not in request.GET:
            endpoint = "extend"
        values["source"] = clip.pk
    return endpoint_from(endpoint), values, notes


def settings_of(generation: Generation, notes: list[str]) -> dict[str, Any]:
    """An earlier request's settings as form values; uploaded files can't be re-sent from here,
    so they are named in ``notes`` instead."""
    values = form_values(generation.params)
    values["prompt"] = generation.prompt or values.get("prompt", "")
    values["model"] = generation.model or values.get("model", "")
    for item in generation.inputs.select_related("source_output"):
        source = item.source_output if item.source_output_id else None
        if item.role in CLIP_ROLES and source is not None:
            values["source"] = source.generation_id
        else:
            label = role_label(item.role).lower()
            notes.append(
                f"That clip used an uploaded {label} (“{item.original_name}”): add it again."
            )
    return values


def composer_context(
    form: GenerateForm, *, notes: list[str] | None = None, dropped: list[str] | None = None
) -> dict[str, Any]:
    return {
        "form": form,
        "tabs": catalog.endpoint_choices(),
        # A callable: the template calls it only when it renders the picker (not for #settings).
        "clips": partial(_picker_clips, form),
        "estimate": form.draft().summary(),
        "spend_left": budgets.left_for(form.owner),
        "notes": notes or [],
        "dropped": dropped or [],
    }


def _picker_clips(form: GenerateForm) -> list[Any]:
    """The user's latest clips with a video, for the input that can take one, its video or its
    still (plus the one already picked, however old)."""
    if form.clip_role is None:
        return []
    # A still is the clip's poster frame: only clips that have one can give it.
    offered = ready_clips(form.owner, with_poster=form.clip_role in STILL_ROLES)
    clips = list(offered.prefetch_related("outputs")[:CLIP_PICKER])
    picked = form.selected_source()
    if picked and picked not in {c.pk for c in clips}:
        clips += list(offered.filter(pk=picked).prefetch_related("outputs"))
    return build_cards(clips, form.owner)
