"""Django admin for operators: generations with their timeline and outputs, and the dispatcher.

Everything the pipeline owns is read-only here: states move only through the state machine
(the actions below call the same pipeline functions as the UI), never by editing a field.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from ltxdash.core.text import visible
from ltxdash.generations import explain, pipeline
from ltxdash.generations.models import (
    DispatchState,
    Generation,
    GenerationEvent,
    GenerationInput,
    Output,
)


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
    model = GenerationInput
    fields = readonly_fields = (
        "role",
        "file",
        "source_output",
        "original_name",
        "content_type",
        "size",
        "sha256",
        "storage_uri",
        "uploaded_at",
    )


class OutputInline(ReadOnlyInline):
    model = Output
    fields = readonly_fields = (
        "label",
        "file",
        "size",
        "sha256",
        "content_type",
        "width",
        "height",
        "fps",
        "duration",
        "poster",
        "faststart_due_at",
    )


@admin.register(Generation)
class GenerationAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "owner",
        "endpoint",
        "model",
        "short_prompt",
        "state",
        "at_risk",
        "created_at",
        "remote_id",
    ]
    list_filter = ["state", "endpoint", "model", "owner", "at_risk", "created_at"]
    search_fields = ["prompt", "remote_id"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    inlines = [InputInline, OutputInline, EventInline]
    actions = ["retry_selected", "cancel_selected", "copy_selected_again"]
    fieldsets = [
        (None, {"fields": ["owner", "endpoint", "model", "prompt", "params", "parent"]}),
        (
            "State",
            {"fields": ["state", "reason", "error_type", "error_message", "at_risk", "version"]},
        ),
        (
            "LTX",
            {
                "fields": [
                    "remote_id",
                    "submit_request_id",
                    "last_request_id",
                    "request_body",
                    "result_urls",
                    "estimated_cost",
                ]
            },
        ),
        (
            "Times",
            {
                "fields": [
                    "created_at",
                    "submit_started_at",
                    "post_started_at",
                    "submitted_at",
                    "remote_created_at",
                    "processing_at",
                    "completed_at",
                    "retention_ends_at",
                    "ready_at",
                    "finished_at",
                    "updated_at",
                ]
            },
        ),
        (
            "Workers",
            {
                "fields": [
                    "submit_attempts",
                    "poll_count",
                    "poll_failures",
                    "next_poll_at",
                    "rehost_attempts",
                    "next_attempt_at",
                    "claim_until",
                ]
            },
        ),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Generation | None = None) -> list:
        # Only the favourite flag is a user preference; the rest is the pipeline's record.
        return [f for fs in self.fieldsets for f in fs[1]["fields"]]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # clips are made through the create page (validated, costed)

    @admin.display(description="prompt")
    def short_prompt(self, obj: Generation) -> str:
        prompt = visible(obj.prompt)
        return prompt if len(prompt) <= 60 else prompt[:59] + "…"

    @admin.display(description="why")
    def reason(self, obj: Generation) -> str:
        return explain.reason(obj) or "-"

    def delete_model(self, request: HttpRequest, obj: Generation) -> None:
        pipeline.delete_generation(obj)  # the stored files go too

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Generation]) -> None:
        for generation in queryset:
            pipeline.delete_generation(generation)

    @admin.action(description="Retry (a new clip with the same settings)")
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[Generation]) -> None:
        made, refused = [], []
        for generation in queryset:
            try:
                made.append(pipeline.retry(generation).pk)
            except pipeline.PipelineError as error:
                refused.append(f"#{generation.pk}: {error}")
        if made:
            self.message_user(
                request, f"Queued {len(made)} new clip(s): " + ", ".join(f"#{pk}" for pk in made)
            )
        if refused:
            self.message_user(request, "Not retried: " + "; ".join(refused), messages.WARNING)

    @admin.action(description="Cancel (queued clips only)")
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


@admin.register(Output)
class OutputAdmin(admin.ModelAdmin):
    list_display = ["id", "generation", "label", "content_type", "size", "duration", "created_at"]
    list_filter = ["label", "content_type"]
    search_fields = ["generation__prompt", "generation__remote_id", "sha256"]
    list_select_related = ["generation"]
    readonly_fields = [
        "generation",
        "label",
        "file",
        "size",
        "sha256",
        "content_type",
        "duration",
        "width",
        "height",
        "fps",
        "codec",
        "has_audio",
        "poster",
        "created_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Output | None = None) -> bool:
        return False  # delete the generation instead: that removes the files as well


@admin.register(DispatchState)
class DispatchStateAdmin(admin.ModelAdmin):
    list_display = ["__str__", "reason_type", "paused_at", "next_probe_at", "hold_until", "banner"]
    readonly_fields = [
        "paused",
        "reason_type",
        "reason_message",
        "paused_at",
        "next_probe_at",
        "probe_failures",
        "hold_until",
        "banner",
    ]
    actions = ["resume_dispatching", "pause_dispatching"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[DispatchState]:
        DispatchState.get()  # the single row exists before anyone looks for it
        return super().get_queryset(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: DispatchState | None = None) -> bool:
        return False

    @admin.display(description="what users see")
    def banner(self, obj: DispatchState) -> str:
        return format_html("{}", explain.pause_reason(obj) or "-")

    @admin.action(description="Resume dispatching")
    def resume_dispatching(self, request: HttpRequest, queryset: QuerySet[DispatchState]) -> None:
        if pipeline.resume_dispatching("admin"):
            self.message_user(request, "Dispatching resumed; queued clips are being sent.")
        else:
            self.message_user(request, "Dispatching was not paused.", messages.WARNING)

    @admin.action(description="Pause dispatching")
    def pause_dispatching(self, request: HttpRequest, queryset: QuerySet[DispatchState]) -> None:
        pipeline.pause_dispatching()
        self.message_user(request, "Dispatching paused; new clips wait in the queue.")
