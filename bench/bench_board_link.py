"""The public page of a board link at scale: a board of 500 clips, against the same page of a
board of 20 clips in the same run.

    .venv/bin/python bench/bench_board_link.py [--clips 500] [--small 20] [--runs 40]

A throw-away SQLite database (the default deployment), filled with bulk_create; full requests
through Django's test client, logged out. It prints the median and p90 server time of
/b/<token>/, its query count, and the ratio of the medians. Targets: <= 50 ms, a query count that
does not change with the number of clips (the grid shows 60 posters a page; the player's data
lists every clip, from the same two queries).
"""

from __future__ import annotations

import argparse
import statistics
import time

from _support import page_django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, default=500)
    parser.add_argument("--small", type=int, default=20)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    with page_django(prefix="ltxdash-bench-board-link-"):
        run(args)


def board_link(name: str, clips: int) -> str:
    from django.contrib.auth import get_user_model

    from ltxdash.boards.models import Board, BoardLink
    from ltxdash.generations.models import Generation
    from ltxdash.workspaces import current
    from ltxdash.workspaces.models import Membership, Role, Workspace
    from tests.factories import bulk_ready_clips

    workspace = Workspace.objects.create(name=name, slug=name)
    user = get_user_model().objects.create_user(name, password="bench-pass-123")
    Membership.objects.create(workspace=workspace, user=user, role=Role.ADMIN)
    current.choose(user, workspace)
    ids = bulk_ready_clips(user, clips, workspace=workspace, title=lambda i: f"Take {i}")
    board = Board.objects.create(workspace=workspace, name=f"{name} takes", created_by=user)
    board.add(list(Generation.objects.filter(pk__in=ids).order_by("pk")), by=user)
    return BoardLink.create_for(board, None, by=user, show_prompts=True, allow_downloads=True)[1]


def measure(client, path: str, runs: int) -> tuple[float, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(5):
        client.get(path)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    queries = len(captured.captured_queries)
    timings = []
    for _ in range(runs):
        t0 = time.perf_counter()
        assert client.get(path).status_code == 200
        timings.append((time.perf_counter() - t0) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.9) - 1], queries


def run(args: argparse.Namespace) -> None:
    from django.test import Client

    started = time.perf_counter()
    tokens = {"big": board_link("big", args.clips), "small": board_link("small", args.small)}
    print(f"setup: boards of {args.clips} and {args.small} clips in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    for case, params in (("first clip", ""), ("a clip on a later page", "?clip=430")):
        figures = {
            label: measure(Client(), f"/b/{token}/{params}", args.runs)
            for label, token in tokens.items()
        }
        (median, p90, queries), (small_median, _, small_queries) = figures["big"], figures["small"]
        print(
            f"board page, {case:<24} median {median:6.1f} ms   p90 {p90:6.1f} ms   "
            f"{queries} queries   at {args.small} clips: {small_median:5.1f} ms, "
            f"{small_queries} queries   ratio {median / small_median:4.2f}x"
        )


if __name__ == "__main__":
    main()
