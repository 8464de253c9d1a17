"""The generation: one request for a clip, from the moment a user presses Generate to a verified
copy of its output in our storage. Its life is the state machine (states.py); every change of state
is one conditional UPDATE on the expected old state, so a task delivered twice, or two workers
acting at once, cannot both move it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from ltxdash.generations.models.states import (
    ACTIVE,
    CANCELABLE,
    COPYABLE,
    ENTERED_AT,
    FINISHED_PHRASES,
    IN_FLIGHT,
    NEEDS_EDIT,
    PROBLEMS,
    RETRYABLE,
    TERMINAL,
    TONES,
    TRANSITIONS,
    IllegalTransition,
    State,
)
from ltxdash.generations.models.states import (
    stamp as make_stamp,
)
from ltxdash.ltx import catalog
from ltxdash.spend import ledger

TITLE_MAX_LENGTH = 120


class Generation(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="generations"
    )
    # The team the clip belongs to: every member sees it; it stays when its maker leaves.
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="generations"
    )
    # The workspace's own key the job was sent with (empty: LTX_API_KEY). Set when a slot is
    # claimed; every poll and copy of the job uses it, even after the workspace replaced it.
    api_key = models.ForeignKey(
        "workspaces.ApiKey",
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name="sent with key",
    )
    endpoint = models.CharField("mode", max_length=40)  # a catalog slug, e.g. "text-to-video"
    model = models.CharField(max_length=40, blank=True)  # empty for endpoints without a model
    # Prompt and title are what gallery search reads (gallery/search.py), through an index the
    # database keeps itself (migration gallery/0004_search): FTS5 tables filled by triggers on
    # SQLite, a generated ``search_vector`` column on PostgreSQL.
    prompt = models.TextField(blank=True)
    # A name the member gave the clip ("Harbour, wide"); empty shows the mode's name.
    title = models.CharField(max_length=TITLE_MAX_LENGTH, blank=True)
    # Shared by the takes of one request (generations/takes.py); empty for clips made before it.
    take_key = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    # The request's settings in API field names (duration, resolution, fps, ...), without the
    # input URIs: those are made from `inputs` right before submit.
    params = models.JSONField("settings", default=dict, blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        verbose_name="made from",
    )
    favourite = models.BooleanField(default=False)

    state = models.CharField("status", max_length=20, choices=State.choices, default=State.QUEUED)
    # bumped on every change a card shows
    version = models.PositiveIntegerField("card version", default=0)

    remote_id = models.CharField("API job id", max_length=80, blank=True)
    submit_request_id = models.CharField("submit request id", max_length=80, blank=True)
    last_request_id = models.CharField("last request id", max_length=80, blank=True)
    error_type = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    estimated_cost = models.DecimalField(
        "cost estimate", max_digits=10, decimal_places=4, null=True, blank=True
    )

    created_at = models.DateTimeField("created", default=timezone.now)
    submit_started_at = models.DateTimeField("submitting since", null=True, blank=True)
    # the API accepted the job
    submitted_at = models.DateTimeField("accepted by LTX", null=True, blank=True)
    processing_at = models.DateTimeField("generating since", null=True, blank=True)
    # the API finished the job
    completed_at = models.DateTimeField("finished at LTX", null=True, blank=True)
    ready_at = models.DateTimeField("saved", null=True, blank=True)  # our copy is stored
    finished_at = models.DateTimeField("ended", null=True, blank=True)  # any terminal state
    updated_at = models.DateTimeField("last change", default=timezone.now)

    submit_attempts = models.PositiveSmallIntegerField(default=0)
    # Transient failures (5xx, network) of this clip's upload or submit so far: capped, then
    # the clip is REJECTED (pipeline/dispatch.py). 429 holds and account pauses don't count.
    submit_failures = models.PositiveSmallIntegerField(default=0)
    # consecutive, reset on success
    poll_failures = models.PositiveSmallIntegerField("poll failures in a row", default=0)
    poll_count = models.PositiveIntegerField("polls", default=0)
    rehost_attempts = models.PositiveSmallIntegerField("copy attempts", default=0)
    next_poll_at = models.DateTimeField("next poll", null=True, blank=True)
    # dispatch/rehost backoff
    next_attempt_at = models.DateTimeField("next attempt", null=True, blank=True)
    # the API forgets the job
    retention_ends_at = models.DateTimeField("LTX keeps the job until", null=True, blank=True)
    at_risk = models.BooleanField(default=False)  # copy still missing long after completion
    # Set right before the submit POST leaves: a SUBMITTING row without it certainly sent nothing,
    # so a worker that died before this moment can be queued again without risking a second job.
    post_started_at = models.DateTimeField("submit sent", null=True, blank=True)
    # A worker busy with this row (a submit or a copy) renews this while it works; once it has
    # passed, the worker is gone and the loop hands the work to another one.
    claim_until = models.DateTimeField("worker claim until", null=True, blank=True)
    # what we POSTed (for support)
    request_body = models.JSONField("request sent to LTX", default=dict, blank=True)
    # the API's created_at
    remote_created_at = models.DateTimeField("created at LTX", null=True, blank=True)
    # label -> URL from the last poll
    result_urls = models.JSONField("result links from LTX", default=dict, blank=True)

    class Meta:
        verbose_name = "clip"
        verbose_name_plural = "clips"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="gen_owner_created"),
            models.Index(fields=["workspace", "-created_at"], name="gen_workspace_created"),
            # The create page's cards: one member's own clips in a workspace, newest first.
            models.Index(fields=["owner", "workspace", "-created_at"], name="gen_owner_ws_created"),
            models.Index(fields=["state", "next_poll_at"], name="gen_state_next_poll"),
            models.Index(fields=["state", "created_at"], name="gen_state_created"),
            models.Index(fields=["remote_id"], name="gen_remote_id"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.display_title} ({self.get_state_display()})"

    # --- the state machine -------------------------------------------------------------------
    def transition(
        self,
        to: str,
        *,
        expected: str | None = None,
        detail: str = "",
        request_id: str = "",
        where: dict[str, Any] | None = None,
        **fields: Any,
    ) -> bool:
        """Move from ``expected`` (default: the state this instance holds) to ``to``.

        Returns False, changing nothing, when the row is no longer in the expected state (another
        worker got there first, or the task was delivered twice). Raises IllegalTransition for a
        move the state machine does not allow. ``fields`` are set in the same UPDATE; ``where``
        adds conditions to it (e.g. the attempt a worker claimed, so a stale worker cannot win).
        """
        old = expected or self.state
        if to not in TRANSITIONS[old]:
            raise IllegalTransition(f"{old} → {to} is not allowed (generation {self.pk})")
        now = timezone.now()
        values: dict[str, Any] = {"state": to, "updated_at": now, **fields}
        entered = ENTERED_AT.get(to)
        if entered and entered not in fields and getattr(self, entered) is None:
            values[entered] = now
        if to in TERMINAL:
            values.setdefault("finished_at", now)
            values.setdefault("next_poll_at", None)
        elif old in TERMINAL:
            values.setdefault("finished_at", None)
        if request_id:
            values.setdefault("last_request_id", request_id)
        with transaction.atomic():
            moved = (
                Generation.objects.filter(pk=self.pk, state=old)
                .filter(**(where or {}))
                .update(version=F("version") + 1, **values)
            )
            if not moved:
                return False
            GenerationEvent.objects.create(
                generation_id=self.pk,
                at=now,
                from_state=old,
                to_state=to,
                detail=detail[:2000],
                request_id=request_id,
            )
            if ledger.follows(old, to):  # the clip's cost entry moves with it (spend/ledger.py)
                ledger.follow(self.pk, old, to, now, values.get("submitted_at", self.submitted_at))
        for name, value in values.items():
            setattr(self, name, value)
        self.version += 1
        return True

    def touch(self, **fields: Any) -> bool:
        """Change fields without a change of state, only while the state is still the one held."""
        moved = Generation.objects.filter(pk=self.pk, state=self.state).update(
            version=F("version") + 1, updated_at=timezone.now(), **fields
        )
        if moved:
            for name, value in fields.items():
                setattr(self, name, value)
            self.version += 1
        return bool(moved)

    # --- what the state allows, and how it looks (the rules: models/states.py) --------------
    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE

    @property
    def in_flight(self) -> bool:
        return self.state in IN_FLIGHT

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL

    @property
    def has_problem(self) -> bool:
        return self.state in PROBLEMS

    @property
    def can_cancel(self) -> bool:
        return self.state in CANCELABLE

    @property
    def can_retry(self) -> bool:
        return self.state in RETRYABLE

    def can_copy_again(self, now: datetime | None = None) -> bool:
        """The output can be fetched once more: a copy was or could have been made, and the
        API still keeps the job."""
        if self.state not in COPYABLE or not self.remote_id or not self.completed_at:
            return False
        now = now or timezone.now()
        return not (self.retention_ends_at and self.retention_ends_at <= now)

    @property
    def retry_needs_edit(self) -> bool:
        """Sending the same request again would fail the same way (the content filter, an
        invalid request), whether LTX refused it at submit (REJECTED) or failed the job
        (FAILED): retrying means editing it first."""
        return self.state in (State.FAILED, State.REJECTED) and self.error_type in NEEDS_EDIT

    @property
    def retry_label(self) -> str:
        """The retry button's words: what pressing it does to this clip."""
        if self.retry_needs_edit:
            return "Edit and retry"
        if self.state == State.UNKNOWN:
            return "Resubmit"
        if self.state in (State.EXPIRED, State.CANCELED, State.DECLINED):
            return "Generate again"
        return "Try again"

    @property
    def tone(self) -> str:
        """The colour of this clip's state, everywhere it is shown (CSS tone-*, pill-*)."""
        return TONES.get(self.state, "muted")

    @property
    def finished_phrase(self) -> str:
        return FINISHED_PHRASES.get(self.state, "ended")

    def stamp(self, position: int | None = None) -> str:
        return make_stamp(self.version, self.state, position)

    @property
    def display_title(self) -> str:
        """What the clip is called everywhere: its given name, else its mode ("Text → Video")."""
        return self.title or catalog.endpoint_label(self.endpoint)

    @property
    def made_from(self) -> str:
        """For a clip with no prompt (HDR, reframe): what it was made from, in words."""
        what = catalog.endpoint_label(self.endpoint)
        source = f" of clip #{self.parent_id}" if self.parent_id else ""
        frame = (self.params or {}).get("resolution") if "reframe" in self.endpoint else None
        return f"{what}{source}" + (f" to {catalog.resolution_label(frame)}" if frame else "")

    @property
    def video(self) -> Output | None:
        """The main playable output, if any (prefetch `outputs` when listing)."""
        for output in self.outputs.all():
            if output.content_type.startswith("video/"):
                return output
        return None

    def elapsed_seconds(self, now: datetime | None = None) -> float:
        end = self.finished_at or now or timezone.now()
        return max(0.0, (end - self.created_at).total_seconds())


class GenerationInput(models.Model):
    """A file the request needs: a user's upload, or an output of an earlier clip."""

    class Role(models.TextChoices):
        IMAGE = "image_uri", "Image (first frame)"
        LAST_FRAME = "last_frame_uri", "Last frame"
        AUDIO = "audio_uri", "Audio"
        VIDEO = "video_uri", "Video"

    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="inputs")
    role = models.CharField("used as", max_length=20, choices=Role.choices)
    file = models.FileField(upload_to="inputs/%Y/%m/", blank=True)
    source_output = models.ForeignKey(
        "Output",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="used_as_input",
        verbose_name="from the output",
    )
    original_name = models.CharField("file name", max_length=255, blank=True)
    content_type = models.CharField("type", max_length=100, blank=True)
    size = models.BigIntegerField("size (bytes)", default=0)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    media = models.JSONField(default=dict, blank=True)  # ltxdash.media.MediaInfo as a dict
    # from the API's upload flow
    storage_uri = models.CharField("LTX upload URI", max_length=300, blank=True)
    uploaded_at = models.DateTimeField("uploaded to LTX", null=True, blank=True)

    class Meta:
        verbose_name = "input"
        constraints = [
            models.UniqueConstraint(fields=["generation", "role"], name="one_input_per_role")
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} of clip #{self.generation_id}"


# The API's result keys, as people call the files.
OUTPUT_NAMES = {"video_url": "video", "exr_frames_url": "EXR frames (ZIP)"}


class Output(models.Model):
    """One stored file of a finished generation, with what we read from the file itself."""

    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="outputs")
    # the API's result key: video_url, exr_frames_url
    label = models.CharField("result key", max_length=64)
    file = models.FileField(upload_to="outputs/%Y/%m/", max_length=255)
    size = models.BigIntegerField("size (bytes)")
    sha256 = models.CharField("SHA-256", max_length=64)
    content_type = models.CharField("type", max_length=100)
    duration = models.FloatField("duration (s)", null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    fps = models.FloatField(null=True, blank=True)
    codec = models.CharField(max_length=40, blank=True)
    has_audio = models.BooleanField("audio", default=False)
    poster = models.FileField(upload_to="posters/%Y/%m/", max_length=255, blank=True)
    # An MP4 stored as the API made it, index ('moov') at the end, is rewritten for streaming
    # after the clip is ready (pipeline/faststart.py); this says when that is next due.
    faststart_due_at = models.DateTimeField(
        "streaming rewrite due", null=True, blank=True, db_index=True
    )
    # The file a rewrite replaced, until it is deleted (right after the switch commits, or by the
    # loop's housekeeping if the worker died in between). NULL, not "", when there is none: the
    # housekeeping looks for it several times a second, through the index.
    superseded_file = models.CharField(max_length=255, null=True, blank=True, db_index=True)  # noqa: DJ001
    created_at = models.DateTimeField("stored", default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["generation", "label"], name="one_output_per_label")
        ]

    def __str__(self) -> str:
        return f"{self.display_name} of clip #{self.generation_id}"

    @property
    def display_name(self) -> str:
        """What the file is, in words: "video", "EXR frames (ZIP)"."""
        return self.name_for(self.label)

    @staticmethod
    def name_for(label: str) -> str:
        """What the file under result key ``label`` is, in words (the admin's file filter)."""
        return OUTPUT_NAMES.get(label, label.removesuffix("_url").replace("_", " "))

    @classmethod
    def stored_names(cls, generation_id: int) -> set[str]:
        """Every stored file the outputs of a generation name (videos and posters)."""
        names: set[str] = set()
        for file, poster in cls.objects.filter(generation_id=generation_id).values_list(
            "file", "poster"
        ):
            names |= {file, poster}
        return names - {""}


class GenerationEvent(models.Model):
    """One change of state: the clip's timeline, for users and admins."""

    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField("when", default=timezone.now)
    from_state = models.CharField("from", max_length=20, choices=State.choices, blank=True)
    to_state = models.CharField("to", max_length=20, choices=State.choices)
    detail = models.TextField(blank=True)
    request_id = models.CharField("request id", max_length=80, blank=True)

    class Meta:
        verbose_name = "timeline event"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_from_state_display() or '·'} → {self.get_to_state_display()}"
