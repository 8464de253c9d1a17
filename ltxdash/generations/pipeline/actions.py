"""What users and admins can do: create, cancel, retry, copy again and delete generations;
pause and resume dispatching.

Each is a few conditional writes plus, where work follows, a task enqueued after commit.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Mapping
from decimal import Decimal
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from ltxdash.audit import log as audit
from ltxdash.generations import limits, takes
from ltxdash.generations.inputs import clip_info
from ltxdash.generations.models import (
    DispatchState,
    Generation,
    GenerationEvent,
    GenerationInput,
    Output,
    State,
)
from ltxdash.generations.pipeline import filestore
from ltxdash.generations.pipeline.taskqueue import enqueue, nudge_dispatcher
from ltxdash.generations.timing import later, pickup_grace_seconds
from ltxdash.ltx import catalog
from ltxdash.ltx.catalog import usd
from ltxdash.media import MediaInfo
from ltxdash.spend import approvals, budgets, ledger
from ltxdash.workspaces import current
from ltxdash.workspaces.models import Membership, Role, Workspace

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Still:
    """A clip's poster frame (``Output.poster``, a JPEG) as an image input, with what
    media.probe() read from it. Copied into a stored input file at create time, so the request
    owns its image (it survives the clip's deletion) and is uploaded like any other image;
    ``source_output`` keeps where it came from."""

    output: Output
    info: MediaInfo


# A user's upload with what media.probe() read from it, an output of an earlier clip, or a
# still of one.
type InputSource = tuple[File, MediaInfo] | Output | Still


class PipelineError(ValueError):
    """An action that cannot be done to this generation now; the message is for the user."""


class OverBudgetError(PipelineError):
    """A request over a spending limit. ``may_ask``: it may be sent for an admin's approval."""

    def __init__(self, message: str, *, may_ask: bool = False) -> None:
        super().__init__(message)
        self.may_ask = may_ask


# --- create -----------------------------------------------------------------------------------


def media_dict(info: object) -> dict[str, Any]:
    """What ``GenerationInput.media`` stores: a MediaInfo (or a mapping) as a JSON-safe dict."""
    if info is None:
        return {}
    if dataclasses.is_dataclass(info) and not isinstance(info, type):
        data: dict[str, Any] = dataclasses.asdict(info)
    elif isinstance(info, Mapping):
        data = dict(info)
    else:
        data = dict(vars(info))
    # JSON-safe: Fractions, Decimals and the like become floats or strings.
    return {
        k: v if isinstance(v, (str, int, float, bool, type(None))) else _jsonable(v)
        for k, v in data.items()
    }


def _jsonable(value: Any) -> Any:
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def _media_info(data: Mapping[str, Any]) -> MediaInfo | None:
    """A MediaInfo rebuilt from a stored dict (for the cost estimate of a re-used output);
    None for a dict that doesn't hold one (e.g. {} for an input without media)."""
    try:
        return MediaInfo(**{k: v for k, v in data.items() if k in _MEDIA_FIELDS})
    except TypeError:
        return None


_MEDIA_FIELDS = frozenset(f.name for f in dataclasses.fields(MediaInfo))


def _input_rows(inputs: Mapping[str, InputSource], saved: list[str]) -> dict[str, dict[str, Any]]:
    """Field values for each role's GenerationInput; uploads are stored once and shared."""
    field = GenerationInput._meta.get_field("file")
    rows: dict[str, dict[str, Any]] = {}
    for role, source in inputs.items():
        if isinstance(source, Output):
            rows[role] = {
                "source_output": source,
                "original_name": PurePath(source.file.name or "").name,
                "content_type": source.content_type,
                "size": source.size,
                "sha256": source.sha256,
                "media": media_dict(clip_info(source)),
            }
            continue
        if isinstance(source, Still):
            original = f"still-of-{source.output.generation_id}.jpg"
            with default_storage.open(source.output.poster.name or "", "rb") as poster:
                rows[role] = _stored_copy(field, poster, original, source.info, saved)
            rows[role]["source_output"] = source.output
            continue
        upload, info = source
        # Display only (never a path): the base name, at most the column's 255 characters.
        original = PurePath(getattr(upload, "name", "") or "input").name[-255:]
        rows[role] = _stored_copy(field, upload, original, info, saved)
    return rows


# The suffix of a stored input, from what its content is (media.probe's container).
_SUFFIXES = {"jpeg": "jpg"}


def stored_input_name(info: MediaInfo) -> str:
    """A generated file name for an input: random, with the suffix of what the file is. The
    name the user gave is never part of a path (it is kept as ``original_name``, for display)."""
    suffix = _SUFFIXES.get(info.container, info.container) or "bin"
    return f"{uuid.uuid4().hex}.{suffix}"


def _stored_copy(
    field: Any, content: File[Any], original: str, info: MediaInfo, saved: list[str]
) -> dict[str, Any]:
    """Store ``content`` as a new input file; its GenerationInput field values."""
    sha256, size = filestore.hash_and_size(content)
    name = default_storage.save(field.generate_filename(None, stored_input_name(info)), content)
    saved.append(name)
    media = media_dict(info)
    return {
        "file": name,
        "original_name": original,
        "content_type": getattr(content, "content_type", None) or media.get("mime") or "",
        "size": size,
        "sha256": sha256,
        "media": media,
    }


def _estimate(
    endpoint: str, params: Mapping[str, Any], rows: Mapping[str, dict[str, Any]]
) -> Decimal | None:
    try:
        infos = {role: _media_info(row["media"]) for role, row in rows.items()}
        known = {role: info for role, info in infos.items() if info is not None}
        return catalog.estimate_cost(endpoint, params, known)
    except Exception:  # an estimate is a nicety; never lose a user's request over it
        logger.warning("No cost estimate for %s", endpoint, exc_info=True)
        return None


def _default_model(endpoint: str) -> str:
    spec = catalog.ENDPOINTS.get(endpoint)
    return (spec.default_model or "") if spec and spec.takes("model") else ""


def create_generations(
    *,
    owner: User,
    endpoint: str,
    params: dict[str, Any],
    inputs: Mapping[str, InputSource],
    count: int = 1,
    parent: Generation | None = None,
    workspace: Workspace | None = None,
    ask_approval: bool = False,
) -> list[Generation]:
    """Queue ``count`` generations of one request (already validated by the caller), or create
    them awaiting an admin's approval where a spending rule says so (``ask_approval``: the
    member asks for it rather than being refused). A PipelineError when they would take the
    owner past the active-clip limit or a spending limit (the batch counts as a whole: all or
    none)."""
    if count < 1:
        raise ValueError("count must be at least 1")
    if workspace is None:  # the workspace the member works in now
        membership = current.membership(owner)
        assert membership is not None, "a logged-in member always has a workspace"
        workspace = membership.workspace
    saved: list[str] = []
    try:
        rows = _input_rows(inputs, saved)
        model = str(params.get("model") or "") or _default_model(endpoint)
        estimate = _estimate(endpoint, params, rows)
        each = _price(endpoint, params, rows)
        prompt = str(params.get("prompt") or "")
        take_key = takes.key_for(endpoint, prompt, parent.pk if parent else None, rows)
        created = []
        with transaction.atomic():
            _reserve(owner.pk, count)
            decision = _decide(workspace, owner.pk, each, count, ask=ask_approval)
            state = State.AWAITING_APPROVAL if decision.approval else State.QUEUED
            for _ in range(count):
                generation = Generation.objects.create(
                    owner=owner,
                    workspace=workspace,
                    endpoint=endpoint,
                    model=model,
                    prompt=prompt,
                    params=dict(params),
                    parent=parent,
                    estimated_cost=estimate,
                    take_key=take_key,
                    state=state,
                )
                for role, values in rows.items():
                    GenerationInput.objects.create(generation=generation, role=role, **values)
                _record_created(
                    generation, decision.approval and "Needs approval: " + decision.approval
                )
                created.append(generation)
            _hold(created, each, workspace, decision)
            _audit_generated(owner, created, each, decision.approval)
            takes.touch_siblings([take_key], exclude=[g.pk for g in created])
            nudge_dispatcher()
    except BaseException:
        filestore.delete_quietly(saved)
        raise
    return created


def _reserve(owner_id: int, count: int) -> None:
    try:
        limits.reserve(owner_id, count)
    except limits.LimitReached as exc:
        raise PipelineError(str(exc)) from exc


def _price(
    endpoint: str, params: Mapping[str, Any], rows: Mapping[str, dict[str, Any]]
) -> ledger.Price:
    infos = {role: _media_info(row["media"]) for role, row in rows.items()}
    return ledger.price(endpoint, params, {r: i for r, i in infos.items() if i is not None})


def _decide(
    workspace: Workspace, owner_id: int, each: ledger.Price, count: int, *, ask: bool
) -> budgets.Decision:
    """The spending rules' answer for the request (inside its transaction)."""
    role = (
        Membership.objects.filter(workspace=workspace, user_id=owner_id)
        .values_list("role", flat=True)
        .first()
    )
    try:
        return budgets.decide(
            workspace, owner_id, each, count, is_admin=role == Role.ADMIN, ask=ask
        )
    except budgets.OverBudget as exc:
        raise OverBudgetError(str(exc), may_ask=exc.may_ask) from exc


def _hold(
    created: list[Generation],
    each: ledger.Price,
    workspace: Workspace,
    decision: budgets.Decision,
) -> None:
    """Reserve the new clips' cost, or ask the admins first."""
    if decision.approval:
        approvals.request(created, each, decision.approval)
    else:
        ledger.reserve(created, each, workspace)


def _audit_generated(
    by: Any, created: list[Generation], each: ledger.Price, approval: str, retry_of: str = ""
) -> None:
    """The audit entry of one request: how many takes, and what they are estimated to cost."""
    count = len(created)
    takes_words = (
        f"{count} takes (#{created[0].pk} to #{created[-1].pk})" if count > 1 else "1 take"
    )
    cost = f"estimated {usd(each.amount * count)} in all" if each.known else "no estimate"
    waits = f" Waits for approval: {approval}" if approval else ""
    audit.record(
        by,
        created[0].workspace_id,
        audit.Action.GENERATED,
        created[0],
        f"{takes_words}{retry_of}, {cost}.{waits}",
    )


def _record_created(generation: Generation, detail: str) -> None:
    GenerationEvent.objects.create(
        generation=generation,
        at=generation.created_at,
        from_state="",
        to_state=generation.state,
        detail=detail,
    )


# --- cancel, retry, copy again ----------------------------------------------------------------


def cancel(generation: Generation) -> bool:
    """Cancel a generation that has not been sent yet (the API has no cancel endpoint), or
    one still waiting for approval."""
    if generation.transition(
        State.CANCELED, expected=State.QUEUED, detail="Canceled before it was sent."
    ):
        return True
    with transaction.atomic():
        if not generation.transition(
            State.CANCELED,
            expected=State.AWAITING_APPROVAL,
            detail="Canceled while it waited for approval.",
        ):
            return False
        approvals.withdrawn(generation.pk)
    return True


def retry(generation: Generation, *, by: Any = None) -> Generation:
    """A new queued generation with the same settings and inputs (also "resubmit" of unknown),
    asked for by ``by`` (the clip's owner when not given)."""
    generation.refresh_from_db()
    if not generation.can_retry:
        raise PipelineError(f"A {generation.get_state_display().lower()} clip cannot be retried.")
    old_inputs = list(generation.inputs.select_related("source_output"))
    for item in old_inputs:
        if not item.file and item.source_output is None:
            raise PipelineError(
                f"The {item.get_role_display().lower()} of this clip is no longer stored."
            )
    workspace = generation.workspace
    each = _price(
        generation.endpoint, generation.params, {i.role: {"media": i.media} for i in old_inputs}
    )
    with transaction.atomic():
        _reserve(generation.owner_id, 1)
        decision = _decide(workspace, generation.owner_id, each, 1, ask=False)
        clone = Generation.objects.create(
            owner=generation.owner,
            workspace_id=generation.workspace_id,
            take_key=generation.take_key,
            endpoint=generation.endpoint,
            model=generation.model,
            prompt=generation.prompt,
            params=dict(generation.params),
            parent=generation.parent,
            estimated_cost=generation.estimated_cost,
            state=State.AWAITING_APPROVAL if decision.approval else State.QUEUED,
        )
        for item in old_inputs:
            GenerationInput.objects.create(
                generation=clone,
                role=item.role,
                file=item.file.name,
                source_output=item.source_output,
                original_name=item.original_name,
                content_type=item.content_type,
                size=item.size,
                sha256=item.sha256,
                media=item.media,
                storage_uri=item.storage_uri,
                uploaded_at=item.uploaded_at,
            )
        _record_created(clone, f"Retry of #{generation.pk} ({generation.state}).")
        _hold([clone], each, workspace, decision)
        _audit_generated(
            by or generation.owner,
            [clone],
            each,
            decision.approval,
            f", a retry of #{generation.pk}",
        )
        nudge_dispatcher()
    return clone


def copy_again(generation: Generation) -> bool:
    """Fetch the output once more (admin): READY/EXPIRED -> REHOSTING while the API keeps it."""
    generation.refresh_from_db()
    now = timezone.now()
    if not generation.can_copy_again(now):
        return False
    moved = generation.transition(
        State.REHOSTING,
        detail="Copy again requested.",
        result_urls={},  # fetch fresh URLs: the old ones may be signed with a short expiry
        claim_until=None,
        next_attempt_at=later(now, pickup_grace_seconds()),
        error_type="",
        error_message="",
    )
    if moved:
        enqueue("rehost_generation", generation.pk)
    return moved


# --- delete -----------------------------------------------------------------------------------


def delete_generation(generation: Generation, *, by: Any = None, detail: str = "") -> None:
    """Delete the row with its events, and every stored file nothing else uses (``by``: who
    deleted it, for the audit log; None: the system)."""
    pk = generation.pk
    with transaction.atomic():
        # Held, so that a second delete (a double click) finds nothing and records nothing.
        state = Generation.objects.select_for_update().filter(pk=pk).values_list("state").first()
        if state is None:
            return
        audit.record(by, generation.workspace_id, audit.Action.DELETED, generation, detail)
        ledger.clip_deleted(pk, state[0])  # what it held is released, unless it may have been sent
        names: list[str | None] = []
        for output in Output.objects.filter(generation_id=pk):
            names += [output.file.name, output.poster.name]
        for item in GenerationInput.objects.filter(generation_id=pk).exclude(file=""):
            shared = (
                GenerationInput.objects.filter(file=item.file.name)
                .exclude(generation_id=pk)
                .exists()
            )
            if not shared:
                names.append(item.file.name)
        Generation.objects.filter(pk=pk).delete()
        takes.touch_siblings([generation.take_key])
        filestore.delete_after_commit(names)
        transaction.on_commit(lambda: filestore.sweep_generation_folders(pk, keep=set()))


# --- dispatching ------------------------------------------------------------------------------


def resume_dispatching(why: str = "admin", *, key: int | None = None) -> bool:
    """Resume dispatching with a key (an admin, or a probe that worked); True if it was paused."""
    resumed = DispatchState.resume(why, key=key)
    if resumed:
        nudge_dispatcher()  # queued clips go out now, not at the loop's next pass
    return resumed


def pause_dispatching(*, key: int | None = None) -> None:
    """An admin stops the key's submits; its clips wait in the queue until an admin resumes."""
    DispatchState.pause_by_admin(key=key)
