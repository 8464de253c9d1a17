"""Boards: named, ordered sets of a workspace's clips ("the six takes for the opening shot"),
and the public links that show a whole board to someone without an account.

Who may do what with a board is decided in ``ltxdash.access``, nowhere else.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone

from ltxdash.gallery.models import PublicLink, PublicLinkQuerySet
from ltxdash.generations.models import Generation

NAME_MAX_LENGTH = 120
DESCRIPTION_MAX_LENGTH = 2000


class Board(models.Model):
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="boards"
    )
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    description = models.TextField(blank=True, max_length=DESCRIPTION_MAX_LENGTH)
    # A clip chosen as the cover; empty (or the clip left the board): the first clip.
    cover = models.ForeignKey(
        Generation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="made by",
    )
    created_at = models.DateTimeField("made", default=timezone.now)
    updated_at = models.DateTimeField("changed", default=timezone.now)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-updated_at"], name="board_recent")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("boards:board", args=[self.pk])

    def touch(self) -> None:
        Board.objects.filter(pk=self.pk).update(updated_at=timezone.now())

    def clips(self) -> models.QuerySet[Generation]:
        """The board's clips in its order (a clip of another workspace can never be on it)."""
        return (
            Generation.objects.filter(board_items__board=self, workspace_id=self.workspace_id)
            .annotate(board_position=models.F("board_items__position"))
            .order_by("board_items__position", "board_items__id")
        )

    def cover_clip(self) -> Generation | None:
        """The chosen cover while it is on the board, else the first clip with a video."""
        if self.cover_id and self.items.filter(generation_id=self.cover_id).exists():
            return self.cover
        return self.clips().filter(outputs__content_type__startswith="video/").distinct().first()

    def add(self, clips: list[Generation], by: Any) -> int:
        """Put ``clips`` at the end, in the order given; those already on it stay where they are.
        Returns how many were added."""
        with transaction.atomic():
            Board.objects.select_for_update().filter(pk=self.pk).values_list("pk").first()
            present = set(
                self.items.filter(generation__in=clips).values_list("generation_id", flat=True)
            )
            last = self.items.aggregate(last=Max("position"))["last"] or 0
            new = []
            for clip in clips:
                if clip.pk in present or clip.workspace_id != self.workspace_id:
                    continue
                present.add(clip.pk)
                last += 1
                new.append(BoardItem(board=self, generation=clip, position=last, added_by=by))
            BoardItem.objects.bulk_create(new)
            if new:
                self.touch()
            return len(new)

    def remove(self, clip_ids: list[int]) -> int:
        removed, _ = self.items.filter(generation_id__in=clip_ids).delete()
        if removed:
            self.touch()
        return removed

    def move(self, clip_id: int, step: int) -> bool:
        """Swap the clip with its neighbour before (-1) or after (+1); False at either end."""
        with transaction.atomic():
            items = list(self.items.select_for_update().order_by("position", "id"))
            index = next((i for i, item in enumerate(items) if item.generation_id == clip_id), None)
            if index is None or not 0 <= index + step < len(items):
                return False
            return self._reorder(items, index, index + step)

    def move_to(self, clip_id: int, target: int) -> bool:
        """Put the clip at 1-based place ``target`` (dragging, or a place typed in)."""
        with transaction.atomic():
            items = list(self.items.select_for_update().order_by("position", "id"))
            index = next((i for i, item in enumerate(items) if item.generation_id == clip_id), None)
            if index is None:
                return False
            return self._reorder(items, index, max(0, min(len(items) - 1, target - 1)))

    def _reorder(self, items: list[BoardItem], index: int, target: int) -> bool:
        if index == target:
            return False
        items.insert(target, items.pop(index))
        for position, item in enumerate(items, start=1):
            item.position = position
        BoardItem.objects.bulk_update(items, ["position"])
        self.touch()
        return True


class BoardItem(models.Model):
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="items")
    # A deleted clip leaves every board it was on.
    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="board_items")
    position = models.PositiveIntegerField()
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["board", "generation"], name="a_clip_once_a_board")
        ]
        indexes = [models.Index(fields=["board", "position"], name="board_order")]

    def __str__(self) -> str:
        return f"Clip #{self.generation_id} on {self.board}"


class BoardLink(PublicLink):
    """A board shown to anyone holding the link: its clips as they are on each request (a clip
    removed from the board is gone from the link at once), and nothing else of the workspace."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="links")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    allow_downloads = models.BooleanField("allows downloads", default=False)
    show_prompts = models.BooleanField("shows prompts", default=False)

    objects = PublicLinkQuerySet["BoardLink"].as_manager()

    class Meta(PublicLink.Meta):
        pass

    def __str__(self) -> str:
        return f"Link #{self.pk} to board {self.board_id}"

    @classmethod
    def create_for(
        cls,
        board: Board,
        lifetime: timedelta | None,
        *,
        by: Any,
        allow_downloads: bool = False,
        show_prompts: bool = False,
    ) -> tuple[BoardLink, str]:
        """Make a link; returns it with its token, which exists nowhere else after this call."""
        token, fields = cls.new_token(lifetime)
        link = cls.objects.create(
            board=board,
            created_by=by,
            allow_downloads=allow_downloads,
            show_prompts=show_prompts,
            **fields,
        )
        return link, token
