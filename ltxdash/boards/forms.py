from __future__ import annotations

from django import forms

from ltxdash.boards.models import DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH
from ltxdash.gallery.forms import MAX_ADD, ClipIdsField

__all__ = ["MAX_ADD", "BoardForm", "ClipIdsField", "MoveForm", "PickBoardForm"]


class BoardForm(forms.Form):
    name = forms.CharField(max_length=NAME_MAX_LENGTH, strip=True)
    description = forms.CharField(
        max_length=DESCRIPTION_MAX_LENGTH,
        required=False,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional: what the board is for, who it is for.",
    )

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Give the board a name.")
        return name


class PickBoardForm(forms.Form):
    """Add clips to a board: one of the workspace's boards, or a new one by name (the clips
    themselves come with the request: ``gallery.selection.selected_ids``)."""

    board = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    new_name = forms.CharField(
        label="Or a new board named", max_length=NAME_MAX_LENGTH, required=False, strip=True
    )

    def __init__(self, *args, boards=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        board = self.fields["board"]
        assert isinstance(board, forms.ChoiceField)
        board.choices = [(b.pk, b.name) for b in boards]

    def clean(self):
        data = super().clean() or {}
        if not data.get("board") and not " ".join((data.get("new_name") or "").split()):
            raise forms.ValidationError("Pick a board, or name a new one.")
        return data


class MoveForm(forms.Form):
    clip = forms.IntegerField(min_value=1)
    step = forms.TypedChoiceField(choices=[("-1", "up"), ("1", "down")], coerce=int, required=False)
    to = forms.IntegerField(min_value=1, required=False)
