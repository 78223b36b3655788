"""The words of a job's progress message, from what the job queue last said about the job.

Every `engine.stages.Stage` a job goes through is shown as one `Phase` (`phase_of`, exhaustive: a new stage
is a type error here until it has words), and every phase has its sentence in bot.texts (`progress_<phase>`).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from enum import StrEnum
from typing import assert_never

from bot.texts import tr
from engine.stages import Stage

BAR_CELLS = 12


class Phase(StrEnum):
    QUEUED = "queued"
    DOWNLOADING = "downloading"
    SPLITTING = "splitting"
    GENERATING = "generating"
    REMUXING = "remuxing"
    PACKING = "packing"
    UPLOADING = "uploading"
    STILL_SENDING = "still_sending"  # a delivery paused by the network, to be tried again
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


def phase_of(stage: Stage) -> Phase:
    """The phase the progress message shows while a job is in `stage`."""
    match stage:
        case Stage.FETCH:
            return Phase.DOWNLOADING
        case Stage.PROBE | Stage.SPLIT:
            return Phase.SPLITTING
        case Stage.GENERATE:
            return Phase.GENERATING
        case Stage.REMUX:
            return Phase.REMUXING
        case Stage.PREVIEW | Stage.FULL_CUT | Stage.ZIP | Stage.KEEP:
            return Phase.PACKING
        case _:
            assert_never(stage)


@dataclass(frozen=True)
class ProgressView:
    """What the progress message shows; equal views give equal text (an edit is then skipped)."""

    phase: Phase
    position: int | None = None
    parts: int = 1
    part: int = 1
    step: int = 0
    steps: int = 0
    window: int | None = None  # the window being made; None: every window at once
    windows: int = 1
    eta_s: int | None = None
    seconds: int = 0
    reason: str = ""


def bar(fraction: float) -> str:
    filled = max(0, min(BAR_CELLS, round(fraction * BAR_CELLS)))
    return "▰" * filled + "▱" * (BAR_CELLS - filled)


def queued_text(lang: str, job_id: int, position: int | None) -> str:
    if not position:
        return tr(lang, "progress_queued_next", job=job_id)
    return tr(lang, "progress_queued", job=job_id, position=position)


def progress_text(lang: str, job_id: int, view: ProgressView) -> str:
    phase = view.phase
    if phase is Phase.QUEUED:
        return queued_text(lang, job_id, view.position)
    if phase is Phase.GENERATING and not view.steps:
        return tr(lang, "progress_generating_start", job=job_id)
    if phase is Phase.GENERATING:
        fraction = view.step / view.steps if view.steps else 0.0
        eta = tr(lang, "progress_eta", seconds=view.eta_s) if view.eta_s else ""
        windows = ""
        if view.windows > 1:
            windows = (
                tr(lang, "progress_window", window=view.window, windows=view.windows)
                if view.window
                else tr(lang, "progress_windows_batch", windows=view.windows)
            )
        return tr(
            lang,
            "progress_generating",
            job=job_id,
            bar=bar(fraction),
            percent=round(fraction * 100),
            step=view.step,
            steps=view.steps,
            windows=windows,
            eta=eta,
        )
    if phase is Phase.FAILED:
        return tr(lang, "progress_failed", job=job_id, reason=html.escape(view.reason))
    return tr(lang, f"progress_{phase}", job=job_id, parts=view.parts, part=view.part, seconds=view.seconds)
