"""Django admin for operators: clips with their timeline and outputs, and the dispatcher.

Everything the pipeline owns is read-only here: states move only through the state machine
(the actions below call the same pipeline functions as the UI), never by editing a field.

What an operator reads is in words: modes and models by their catalog names, the state as its
coloured pill, money as dollars, and a marker only on the clips that are at risk. The words come
from where they live (the catalog, ``State`` labels, ``explain``, ``gallery.details``); the look
from static/css/admin.css.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from ltxdash.core.text import visible
from ltxdash.generations import explain, pipeline
from ltxdash.generations.describe import settings_rows
from ltxdash.generations.models import (
    DispatchState,
    Generation,
    GenerationEvent,
    GenerationInput,
    Output,
)
from ltxdash.ltx import catalog

# --- shared cells --------------------------------------------------------------------------

# What a cell shows when there is nothing to show (the admin's own empty_value_display). The
# helpers return it, not None: the detail page would print None as "None".
EMPTY = "-"


def money(amount: Any) -> SafeString | str:
    """A cost as dollars ("$0.36")."""
    if amount is None:
        return EMPTY
    return format_html('<span class="money">{}</span>', catalog.usd(amount))


def pill(tone: str, text: str) -> SafeString:
    """The product's coloured pill (tones: ok, info, warn, bad, muted)."""
    return format_html('<span class="pill pill-{}">{}</span>', tone, text)


def clip_link(generation: Generation) -> SafeString:
    """ "#12 Text → Video", linking to the clip's admin page."""
    url = reverse("admin:generations_generation_change", args=[generation.pk])
    return format_html(
        '<a href="{}">#{} {}</a>', url, generation.pk, visible(generation.display_title)
    )


def stored_name(file: Any) -> str:
    """A stored file's name in storage. Not a link: media is served only through the product's
    access checks (a clip page, a share link), never from a public /media/ URL."""
    return file.name if file else EMPTY


def seconds(value: float | None) -> str:
    return EMPTY if value is None else f"{value:.1f} s"


def frame_size(width: int | None, height: int | None) -> str:
    return f"{width}x{height}" if width and height else EMPTY


class RecordAdmin(admin.ModelAdmin):
    """An admin for a record nothing on the page may change: its change page has no Save
    buttons (Django shows Close instead). Actions and Delete stay where they are allowed."""

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        no_save = {"show_save": False, "show_save_and_continue": False}
        return super().change_view(
            request, object_id, form_url, {**no_save, **(extra_context or {})}
        )


# --- filters -------------------------------------------------------------------------------


class ModeFilter(admin.SimpleListFilter):
    """Mode by its catalog name ("HDR", not "video-to-video-hdr")."""

    title = "mode"
    parameter_name = "endpoint"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return catalog.endpoint_choices()

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(endpoint=value) if value else queryset


class ModelFilter(admin.SimpleListFilter):
    """Model by its catalog name ("LTX-2.3 Pro"), and the modes that take none."""

    title = "model"
    parameter_name = "model"
    NONE = "none"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        without = [spec.label for spec in catalog.ENDPOINTS.values() if not spec.takes("model")]
        none = "No model" + (f" ({', '.join(without)})" if without else "")
        return [*catalog.model_choices(), (self.NONE, none)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if not value:
            return queryset
        return queryset.filter(model="" if value == self.NONE else value)


# --- inlines -------------------------------------------------------------------------------


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class EventInline(ReadOnlyInline):
    model = GenerationEvent
    fields = readonly_fields = ("at", "from_state", "to_state", "detail", "request_id")
    verbose_name_plural = "timeline"


class InputInline(ReadOnlyInline):
    # What an operator asks about an input; its URI at LTX is in the request sent (For support).
    model = GenerationInput
    fields = readonly_fields = (
        "role",
        "original_name",
        "content_type",
        "file_size",
        "source_output",
        "stored_file",
        "uploaded_at",
    )

    @admin.display(description="file")
    def stored_file(self, item: GenerationInput) -> str:
        return stored_name(item.file)

    @admin.display(description="size")
    def file_size(self, item: GenerationInput) -> str:
        return filesizeformat(item.size)


class OutputCells:
    """An output's cells in words, for its inline on the clip page and its own admin."""

    @admin.display(description="result", ordering="label")
    def what(self, output: Output) -> str:
        return output.display_name

    @admin.display(description="file")
    def stored_file(self, output: Output) -> str:
        return stored_name(output.file)

    @admin.display(description="poster")
    def poster_file(self, output: Output) -> str:
        return stored_name(output.poster)

    @admin.display(description="size", ordering="size")
    def file_size(self, output: Output) -> str:
        return filesizeformat(output.size)

    @admin.display(description="duration", ordering="duration")
    def length(self, output: Output) -> str:
        return seconds(output.duration)

    @admin.display(description="frame")
    def frame(self, output: Output) -> str:
        return frame_size(output.width, output.height)

    @admin.display(description="audio")
    def audio(self, output: Output) -> str:
        return "yes" if output.has_audio else "none"


class OutputInline(OutputCells, ReadOnlyInline):
    # The rest (hash, codec, poster, the streaming rewrite) is on the output's own page.
    model = Output
    show_change_link = True
    fields = readonly_fields = (
        "what",
        "content_type",
        "file_size",
        "frame",
        "length",
        "stored_file",
    )


# --- clips ---------------------------------------------------------------------------------


@admin.register(Generation)
class GenerationAdmin(RecordAdmin):
    # What needs an eye first (status, at risk), what the clip is and cost, then whose it is.
    list_display = [
        "id",
        "status",
        "risk",
        "mode",
        "model_name",
        "cost",
        "short_prompt",
        "owner",
        "created_at",
        "remote_id",
    ]
    list_filter = ["state", ModeFilter, ModelFilter, "owner", "at_risk", "created_at"]
    search_fields = ["prompt", "remote_id"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    actions = ["retry_selected", "cancel_selected", "copy_selected_again"]
    # The detail page, in the order an operator asks: what is it, how is it doing, what did it
    # cost, when did each step happen, and what to quote to LTX support.
    fieldsets = [
        (
            "What",
            {
                "fields": [
                    "owner",
                    "title",
                    "mode",
                    "model_name",
                    "settings_list",
                    "prompt_text",
                    "made_from",
                ]
            },
        ),
        ("Status", {"fields": ["status", "reason", "risk_note", "error_type", "error_message"]}),
        ("Cost", {"fields": ["cost"]}),
        (
            "Timing",
            {
                "fields": [
                    "created_at",
                    "submitted_at",
                    "processing_at",
                    "completed_at",
                    "ready_at",
                    "finished_at",
                    "retention_ends_at",
                    "updated_at",
                ]
            },
        ),
        (
            "For support",
            {
                "description": "Quote the API job id and the request ids to LTX support.",
                "fields": [
                    "remote_id",
                    "sent_with",
                    "submit_request_id",
                    "last_request_id",
                    "request_body",
                    "result_urls",
                ],
            },
        ),
        (
            "Workers",
            {
                "classes": ["collapse"],
                "description": "How the background workers handled the clip (for engineers).",
                "fields": [
                    "version",
                    "submit_started_at",
                    "post_started_at",
                    "remote_created_at",
                    "submit_attempts",
                    "submit_failures",
                    "poll_count",
                    "poll_failures",
                    "next_poll_at",
                    "rehost_attempts",
                    "next_attempt_at",
                    "claim_until",
                ],
            },
        ),
    ]

    def get_inlines(self, request: HttpRequest, obj: Generation | None = None) -> list:
        """The timeline always; inputs and outputs only when the clip has some (an empty table
        of column names tells an operator nothing)."""
        inlines: list = []
        if obj is not None and obj.inputs.exists():
            inlines.append(InputInline)
        if obj is not None and obj.outputs.exists():
            inlines.append(OutputInline)
        return [*inlines, EventInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Generation | None = None) -> list:
        # The pipeline's record, all of it (the favourite flag, the one user preference, is not
        # shown here at all).
        return [f for fs in self.fieldsets for f in fs[1]["fields"]]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # clips are made through the create page (validated, costed)

    @admin.display(description="sent with key")
    def sent_with(self, obj: Generation) -> str:
        if obj.api_key is not None:
            return obj.api_key.masked + (" (since replaced)" if obj.api_key.retired_at else "")
        return "LTX_API_KEY" if obj.submit_started_at else "(not sent yet)"

    @admin.display(description="mode", ordering="endpoint")
    def mode(self, obj: Generation) -> str:
        return catalog.endpoint_label(obj.endpoint)

    @admin.display(description="model", ordering="model")
    def model_name(self, obj: Generation) -> str:
        return catalog.model_label(obj.model) if obj.model else EMPTY

    @admin.display(description="prompt")
    def short_prompt(self, obj: Generation) -> str:
        prompt = visible(obj.prompt)
        return prompt if len(prompt) <= 60 else prompt[:59] + "…"

    @admin.display(description="status", ordering="state")
    def status(self, obj: Generation) -> SafeString:
        return pill(obj.tone, obj.get_state_display())

    # Nothing at all for a healthy clip: the column is there to catch the eye when it matters.
    @admin.display(description="at risk", ordering="-at_risk", empty_value="")
    def risk(self, obj: Generation) -> SafeString | None:
        if not obj.at_risk:
            return None
        return format_html(
            '<span class="at-risk" title="{}"><span aria-hidden="true">⚠</span> At risk</span>',
            explain.at_risk(obj),
        )

    @admin.display(description="cost", ordering="estimated_cost")
    def cost(self, obj: Generation) -> SafeString | str:
        return money(obj.estimated_cost)

    @admin.display(description="at risk")
    def risk_note(self, obj: Generation) -> SafeString:
        if not obj.at_risk:
            return format_html("{}", "No")
        return format_html(
            '<span class="at-risk"><span aria-hidden="true">⚠</span> At risk</span> {}',
            explain.at_risk(obj),
        )

    @admin.display(description="why")
    def reason(self, obj: Generation) -> str:
        return explain.reason(obj) or EMPTY

    @admin.display(description="prompt")
    def prompt_text(self, obj: Generation) -> str:
        return visible(obj.prompt) or EMPTY

    @admin.display(description="settings")
    def settings_list(self, obj: Generation) -> SafeString:
        # The clip page's settings rows, less mode and model (they have rows of their own here).
        rows = [row for row in settings_rows(obj) if row[0] not in ("Mode", "Model")]
        if not rows:
            return format_html("{}", EMPTY)
        items = format_html_join("", "<li>{}: {}</li>", rows)
        return format_html('<ul class="admin-settings">{}</ul>', items)

    @admin.display(description="made from")
    def made_from(self, obj: Generation) -> SafeString | str:
        return clip_link(obj.parent) if obj.parent else EMPTY

    def delete_model(self, request: HttpRequest, obj: Generation) -> None:
        pipeline.delete_generation(obj, by=request.user)  # the stored files go too

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Generation]) -> None:
        for generation in queryset:
            pipeline.delete_generation(generation, by=request.user)

    @admin.action(description="Retry (a new clip with the same settings)")
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[Generation]) -> None:
        made, refused = [], []
        for generation in queryset:
            try:
                made.append(pipeline.retry(generation, by=request.user).pk)
            except pipeline.PipelineError as error:
                refused.append(f"#{generation.pk}: {error}")
        if made:
            self.message_user(
                request, f"Queued {len(made)} new clip(s): " + ", ".join(f"#{pk}" for pk in made)
            )
        if refused:
            self.message_user(request, "Not retried: " + "; ".join(refused), messages.WARNING)

    @admin.action(description="Cancel (queued or awaiting approval only)")
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Generation]) -> None:
        canceled = sum(pipeline.cancel(g) for g in queryset)
        skipped = queryset.count() - canceled
        self.message_user(request, f"Canceled {canceled} clip(s).")
        if skipped:
            self.message_user(
                request,
                f"{skipped} clip(s) were not queued and cannot be canceled.",
                messages.WARNING,
            )

    @admin.action(description="Copy again from LTX (while LTX still keeps the job)")
    def copy_selected_again(self, request: HttpRequest, queryset: QuerySet[Generation]) -> None:
        copied = sum(pipeline.copy_again(g) for g in queryset)
        skipped = queryset.count() - copied
        self.message_user(request, f"Copying {copied} clip(s) again.")
        if skipped:
            self.message_user(
                request,
                f"{skipped} clip(s) could not be copied again (not ready/expired, or LTX "
                "no longer keeps the job).",
                messages.WARNING,
            )


# --- stored files --------------------------------------------------------------------------


class FileFilter(admin.SimpleListFilter):
    """Which result a file is, by its name ("video", not "video_url")."""

    title = "result"
    parameter_name = "label"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        labels = Output.objects.order_by("label").values_list("label", flat=True).distinct()
        return [(label, Output.name_for(label)) for label in labels]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(label=value) if value else queryset


@admin.register(Output)
class OutputAdmin(OutputCells, RecordAdmin):
    list_display = ["id", "clip", "what", "content_type", "file_size", "length", "created_at"]
    list_filter = [FileFilter, "content_type"]
    search_fields = ["generation__prompt", "generation__remote_id", "sha256"]
    list_select_related = ["generation"]
    fields = readonly_fields = (
        "clip",
        "what",
        "stored_file",
        "file_size",
        "sha256",
        "content_type",
        "length",
        "frame",
        "fps",
        "codec",
        "audio",
        "poster_file",
        "created_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Output | None = None) -> bool:
        return False  # delete the generation instead: that removes the files as well

    @admin.display(description="clip", ordering="generation_id")
    def clip(self, output: Output) -> SafeString:
        return clip_link(output.generation)


# --- the dispatcher ------------------------------------------------------------------------


@admin.register(DispatchState)
class DispatchStateAdmin(RecordAdmin):
    list_display = [
        "name",
        "status",
        "reason_type",
        "paused_at",
        "next_probe_at",
        "hold_until",
        "banner",
    ]
    list_display_links = ["name"]
    fields = readonly_fields = (
        "status",
        "reason_type",
        "reason_message",
        "paused_at",
        "next_probe_at",
        "probe_failures",
        "hold_until",
        "banner",
    )
    actions = ["resume_dispatching", "pause_dispatching"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[DispatchState]:
        DispatchState.get()  # LTX_API_KEY's row exists before anyone looks for it
        return super().get_queryset(request).select_related("api_key__workspace")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: DispatchState | None = None) -> bool:
        return False

    @admin.display(description="dispatcher", ordering="api_key")
    def name(self, obj: DispatchState) -> str:
        if obj.api_key_id is None:
            return "Sending clips to LTX with LTX_API_KEY"
        return f"Sending clips to LTX with {obj.api_key}"

    @admin.display(description="status", ordering="paused")
    def status(self, obj: DispatchState) -> SafeString:
        return pill("bad", "Paused") if obj.paused else pill("ok", "Sending")

    @admin.display(description="what users see")
    def banner(self, obj: DispatchState) -> str:
        return format_html("{}", explain.pause_reason(obj) or EMPTY)

    @admin.action(description="Resume dispatching")
    def resume_dispatching(self, request: HttpRequest, queryset: QuerySet[DispatchState]) -> None:
        resumed = [
            state
            for state in queryset
            if pipeline.resume_dispatching("admin", key=state.api_key_id)
        ]
        if resumed:
            self.message_user(request, "Dispatching resumed; queued clips are being sent.")
        else:
            self.message_user(request, "Dispatching was not paused.", messages.WARNING)

    @admin.action(description="Pause dispatching")
    def pause_dispatching(self, request: HttpRequest, queryset: QuerySet[DispatchState]) -> None:
        for state in queryset:
            pipeline.pause_dispatching(key=state.api_key_id)
        self.message_user(request, "Dispatching paused; new clips wait in the queue.")
