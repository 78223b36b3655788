"""The words of a job's progress message, from what the job queue last said about the job.

Every `engine.stages.Stage` a job goes through is shown as one `Phase` (`phase_of`, exhaustive: a new stage
is a type error here until it has words), and every phase has its sentence (`phase_words`, exhaustive too).
A job's state has its word (`state_words`), for /status, /history and /queue. Stages run at the same time (the
music is made while the video is split; the first result is sent while the previews are made): the message shows
its main phase and a line for each phase under way beside it (`beside_words`, exhaustive).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from enum import StrEnum
from typing import assert_never

from bot.texts import tr, trn
from engine.stages import Stage
from storage.models import JobState

BAR_CELLS = 12


class Phase(StrEnum):
    QUEUED = "queued"
    DOWNLOADING = "downloading"
    SPLITTING = "splitting"
    GENERATING = "generating"
    REMUXING = "remuxing"
    PACKING = "packing"
    UPLOADING = "uploading"
    STILL_SENDING = "still_sending"  # a delivery held up by the network, to be started again by itself
    CHOOSING = "choosing"  # its takes were sent: the member picks one
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
    takes: int = 0  # the takes sent, to pick from
    beside: tuple[Phase, ...] = ()  # other phases under way at the same time


BESIDE_PHASES = (Phase.DOWNLOADING, Phase.SPLITTING, Phase.GENERATING, Phase.REMUXING, Phase.PACKING, Phase.UPLOADING)
# Nothing shown beside these (a delivery held up comes after the job's work, as its last words do)
LAST_WORDS = (Phase.QUEUED, Phase.STILL_SENDING, Phase.CHOOSING, Phase.DONE, Phase.FAILED, Phase.CANCELLED)


def phases_beside(main: Phase, stages: tuple[Stage, ...]) -> tuple[Phase, ...]:
    """The phases of the stages under way, other than `main`, each once, in the order their stages started."""
    found: list[Phase] = []
    for stage in stages:
        phase = phase_of(stage)
        if phase is not main and phase not in found:
            found.append(phase)
    return tuple(found)


def bar(fraction: float) -> str:
    filled = max(0, min(BAR_CELLS, round(fraction * BAR_CELLS)))
    return "▰" * filled + "▱" * (BAR_CELLS - filled)


def queued_text(lang: str, job_id: int, position: int | None) -> str:
    if not position:
        return tr(lang, "⏳ Job #{job}: queued, you are next.", job=job_id)
    return tr(lang, "⏳ Job #{job}: queued, {position} ahead of you.", job=job_id, position=position)


def progress_text(lang: str, job_id: int, view: ProgressView) -> str:
    text = _main_text(lang, job_id, view)
    if view.phase in LAST_WORDS:
        return text
    return "\n".join([text, *(beside_words(lang, phase, view) for phase in view.beside)])


def beside_words(lang: str, phase: Phase, view: ProgressView) -> str:
    """The line of a phase under way beside the main one."""
    match phase:
        case Phase.DOWNLOADING:
            return tr(lang, "⬇️ …and downloading the video at the same time")
        case Phase.SPLITTING:
            return trn(lang, "✂️ …and splitting the video into {n} part at the same time",
                       "✂️ …and splitting the video into {n} parts at the same time", view.parts)  # fmt: skip
        case Phase.GENERATING:
            return tr(lang, "🎹 …and generating the music at the same time")
        case Phase.REMUXING:
            return tr(lang, "🎚 …and putting the music on part {part} at the same time", part=view.part)
        case Phase.PACKING:
            return tr(lang, "📦 …and making the previews and the zip at the same time")
        case Phase.UPLOADING:
            return tr(lang, "⬆️ …and sending part {part} with its new music", part=view.part)
        case Phase.QUEUED | Phase.STILL_SENDING | Phase.CHOOSING | Phase.DONE | Phase.FAILED | Phase.CANCELLED:
            return ""
        case _:
            assert_never(phase)


def _main_text(lang: str, job_id: int, view: ProgressView) -> str:
    if view.phase is Phase.GENERATING and view.steps:
        fraction = view.step / view.steps
        eta = tr(lang, ", about {seconds} s left", seconds=view.eta_s) if view.eta_s else ""
        windows = ""
        if view.windows > 1:
            windows = (
                tr(lang, ", window {window}/{windows}", window=view.window, windows=view.windows)
                if view.window
                else trn(lang, ", {n} window at once", ", {n} windows at once", view.windows)
            )
        return tr(
            lang,
            "🎹 Job #{job}: generating music\n{bar} {percent}%\nstep {step}/{steps}{windows}{eta}",
            job=job_id,
            bar=bar(fraction),
            percent=round(fraction * 100),
            step=view.step,
            steps=view.steps,
            windows=windows,
            eta=eta,
        )
    return phase_words(lang, job_id, view)


def phase_words(lang: str, job_id: int, view: ProgressView) -> str:
    """The sentence of a phase that shows no diffusion steps."""
    match view.phase:
        case Phase.QUEUED:
            return queued_text(lang, job_id, view.position)
        case Phase.DOWNLOADING:
            return tr(lang, "⬇️ Job #{job}: downloading the video…", job=job_id)
        case Phase.SPLITTING:
            return trn(lang, "✂️ Job #{job}: splitting into {n} part…", "✂️ Job #{job}: splitting into {n} parts…",
                       view.parts, job=job_id)  # fmt: skip
        case Phase.GENERATING:
            return tr(lang, "🎹 Job #{job}: generating music…", job=job_id)
        case Phase.REMUXING:
            return tr(lang, "🎚 Job #{job}: putting the music on part {part}…", job=job_id, part=view.part)
        case Phase.PACKING:
            return tr(lang, "📦 Job #{job}: making previews and the zip…", job=job_id)
        case Phase.UPLOADING:
            return tr(lang, "⬆️ Job #{job}: uploading…", job=job_id)
        case Phase.STILL_SENDING:
            return tr(
                lang,
                "⬆️ Job #{job}: still sending. Telegram is not taking files right now; your results are kept and I "
                "keep trying.",
                job=job_id,
            )
        case Phase.CHOOSING:
            return trn(
                lang,
                "🎧 Job #{job}: {n} take is ready: press “Use this take” under the one to keep.",
                "🎧 Job #{job}: {n} takes are ready: press “Use this take” under the one to keep.",
                view.takes,
                job=job_id,
            )
        case Phase.DONE:
            return tr(lang, "✅ Job #{job}: done in {seconds} s.", job=job_id, seconds=view.seconds)
        case Phase.FAILED:
            return tr(lang, "❌ Job #{job}: {reason}", job=job_id, reason=html.escape(view.reason))
        case Phase.CANCELLED:
            return tr(lang, "🚫 Job #{job}: cancelled.", job=job_id)
        case _:
            assert_never(view.phase)


def state_words(lang: str, state: JobState) -> str:
    """A job's state in a word."""
    match state:
        case JobState.QUEUED:
            return tr(lang, "queued")
        case JobState.RUNNING:
            return tr(lang, "running")
        case JobState.CHOOSING:
            return tr(lang, "waiting for a take to be picked")
        case JobState.DONE:
            return tr(lang, "done")
        case JobState.FAILED:
            return tr(lang, "failed")
        case JobState.CANCELLED:
            return tr(lang, "cancelled")
        case _:
            assert_never(state)


def stage_words(lang: str, stage: Stage) -> str:
    """What a running job is doing, in a word or two (its stage's phase)."""
    match phase_of(stage):
        case Phase.DOWNLOADING:
            return tr(lang, "downloading")
        case Phase.SPLITTING:
            return tr(lang, "splitting")
        case Phase.GENERATING:
            return tr(lang, "generating")
        case Phase.REMUXING:
            return tr(lang, "putting the music on")
        case _:
            return tr(lang, "packing")
