"""The status cards: one refresh request per page per interval, a single card, cancel, retry."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import trigger_client_event

from ltxdash import access
from ltxdash.core.http import AuthedHttpRequest
from ltxdash.generations import cards, pauses, pipeline
from ltxdash.generations.models import DispatchState, Generation, State
from ltxdash.generations.views.common import POLL_SECONDS, TEMPLATE
from ltxdash.workspaces import current

CANCEL_REFUSED = (
    "It was already sent to LTX, and the API has no way to cancel a job: it will finish."
)


@require_safe
def refresh(request: AuthedHttpRequest) -> HttpResponse:
    """Only the cards whose stamp differs from the page's; 204 when nothing changed.

    The page also says which account pause its banner shows: when that changed, the answer
    brings the new banner and the queued cards (which say whether sending is paused)."""
    seen = cards.parse_stamps(request.GET.getlist("c"))
    membership = current.membership(request.user)
    pause, _ = pauses.seen_by(request.user, membership.workspace_id if membership else None)
    pause_changed = request.GET.get("pause", "none") != DispatchState.stamp_of(pause)
    if pause_changed:
        seen = cards.stale_if_queued(seen)
    found = cards.changes(request.user, seen)
    if not found and found.active and not pause_changed:
        return HttpResponse(status=204)
    # Nothing changed and nothing is in flight (the last change came with a cancel or a
    # submit answer): the answer only switches the poller off.
    context = {
        "changed": found.changed,
        "new_cards": found.new,
        "gone": found.gone,
        "polling": found.active,
        "poll_seconds": POLL_SECONDS,
        "announcement": cards.announcement(found, cards.pause_news(pause) if pause_changed else ""),
        "pause_changed": pause_changed,
        "dispatch_pause": pause,
    }
    response = render(request, TEMPLATE + "#refresh", context)
    if found.finished:
        items = cards.finished_events(found.finished)
        trigger_client_event(response, "generation-finished", {"items": items})
    return response


@require_safe
def card(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    generation = access.generation(
        request.user, pk, queryset=Generation.objects.prefetch_related("outputs")
    )
    return render(
        request, "_generation_card.html", {"card": cards.build_cards([generation], request.user)[0]}
    )


@require_POST
def cancel(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    generation = access.generation(request.user, pk, access.Action.CHANGE)
    canceled = pipeline.cancel(generation)
    notice = "" if canceled else CANCEL_REFUSED
    if not request.htmx:
        if canceled:
            messages.success(request, f"Canceled #{generation.pk}.")
        else:
            messages.error(request, f"#{generation.pk} can't be canceled. {CANCEL_REFUSED}")
        return redirect("generations:create")
    return _card_response(request, generation, notice=notice, status=200 if canceled else 409)


@require_POST
def retry(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    generation = access.generation(request.user, pk, access.Action.CHANGE)
    try:
        clone = pipeline.retry(generation, by=request.user)
    except pipeline.PipelineError as exc:
        if not request.htmx:
            messages.error(request, str(exc))
            return redirect("generations:create")
        return _card_response(request, generation, notice=str(exc), status=409)
    waits = clone.state == State.AWAITING_APPROVAL
    if not request.htmx:
        what = "Sent for approval" if waits else "Queued"
        messages.success(request, f"{what} #{clone.pk} (a new try of #{generation.pk}).")
        return redirect("generations:create")
    notice = f"Sent again as #{clone.pk}" + (", for an admin's approval." if waits else ".")
    return _card_response(request, generation, notice=notice, new=[clone])


def _card_response(
    request: AuthedHttpRequest,
    generation: Generation,
    *,
    notice: str,
    status: int = 200,
    new: list[Generation] | None = None,
) -> HttpResponse:
    """The card re-rendered in place, plus any new card and the poller, out of band."""
    fresh = Generation.objects.prefetch_related("outputs").get(pk=generation.pk)
    built = cards.build_cards([fresh, *(new or [])], request.user)
    context = {
        "card": built[0],
        "notice": notice,
        "new_cards": built[1:],
        "polling": any(c.is_active for c in built) or None,
        "poll_seconds": POLL_SECONDS,
    }
    return render(request, TEMPLATE + "#card_response", context, status=status)
