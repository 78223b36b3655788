"""The words of a job's progress message, from what the runner last said about the job."""

from __future__ import annotations

import html
from dataclasses import dataclass

from bot.texts import tr

BAR_CELLS = 12


@dataclass(frozen=True)
class ProgressView:
    """What the progress message shows; equal views give equal text (an edit is then skipped)."""

    stage: str  # queued, downloading, splitting, generating, remuxing, packing, uploading, done, failed, cancelled
    position: int | None = None
    parts: int = 1
    part: int = 1
    step: int = 0
    steps: int = 0
    window: int = 0  # 0: every window in one batch
    windows: int = 0
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
    stage = view.stage
    if stage == "queued":
        return queued_text(lang, job_id, view.position)
    if stage == "generating" and not view.steps:
        return tr(lang, "progress_generating_start", job=job_id)
    if stage == "generating":
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
    if stage == "failed":
        return tr(lang, "progress_failed", job=job_id, reason=html.escape(view.reason))
    if stage in ("downloading", "splitting", "remuxing", "packing", "uploading", "done", "cancelled"):
        return tr(lang, f"progress_{stage}", job=job_id, parts=view.parts, part=view.part, seconds=view.seconds)
    return tr(lang, "progress_packing", job=job_id)
