"""The status card: the demo's status panel as a chat message, with buttons.

It shows the applied prompt, the number of parts, the chosen part, each part's duration, the chosen part's
time range, and the video's length and size. The numbers come from `engine.parts.plan`, the one part length
rule. "Split-n-Generate" is offered only when the prompt, parts and chosen part are all valid; otherwise the
card says what is missing, in the engine's own words.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup

from bot.keyboards import card_keyboard, video_tag
from bot.state import VideoChoice
from bot.texts import human_size, tr
from engine.errors import BadInput
from engine.options import UserOptions
from engine.parts import PartPlan, format_time, plan, valid_part_counts

PROMPT_SHOWN_CHARS = 300


@dataclass(frozen=True)
class Card:
    text: str
    keyboard: InlineKeyboardMarkup
    ready: bool  # Split-n-Generate is offered
    problems: tuple[str, ...]


def seconds_text(value: float) -> str:
    return f"{value:.2f} s" if value < 60 else format_time(value)


def problems_of(
    video: VideoChoice,
    options: UserOptions,
    check_prompt: Callable[[str], object],
    min_s: float,
    max_s: float,
    lang: str,
) -> tuple[PartPlan | None, list[str]]:
    """The plan (None when the numbers are wrong) and, in words, everything that keeps Generate hidden."""
    problems: list[str] = []
    if not video.prompt:
        problems.append(tr(lang, "missing_prompt"))
    else:
        try:
            check_prompt(video.prompt)
        except BadInput as exc:
            problems.append(exc.message)
    the_plan: PartPlan | None = None
    try:
        the_plan = plan(video.duration, video.parts, video.part, min_s, max_s)
    except BadInput as exc:
        problems.append(exc.message)
    if options.remix is not None and video.has_audio is False:
        problems.append(tr(lang, "missing_remix_audio"))
    return the_plan, problems


def build_card(
    lang: str,
    video: VideoChoice,
    options: UserOptions,
    *,
    owner: int,
    check_prompt: Callable[[str], object],
    min_s: float,
    max_s: float,
) -> Card:
    the_plan, problems = problems_of(video, options, check_prompt, min_s, max_s, lang)
    lines = [
        tr(lang, "card_title"),
        tr(
            lang,
            "card_video",
            length=seconds_text(video.duration),
            width=video.width,
            height=video.height,
            size=human_size(video.size_bytes),
        ),
    ]
    if video.prompt:
        shown = video.prompt if len(video.prompt) <= PROMPT_SHOWN_CHARS else video.prompt[:PROMPT_SHOWN_CHARS] + "…"
        lines.append(tr(lang, "card_prompt", prompt=f"<i>{html.escape(shown)}</i>"))
    else:
        lines.append(tr(lang, "card_no_prompt"))
    if the_plan is not None:
        start, end = the_plan.chosen_range
        lines.append(tr(lang, "card_parts", parts=the_plan.parts, part_length=seconds_text(the_plan.part_duration)))
        lines.append(
            tr(
                lang,
                "card_part",
                part=the_plan.chosen,
                parts=the_plan.parts,
                start=format_time(start),
                end=format_time(end),
            )
        )
    lines.append("")
    if problems:
        lines.extend(f"⚠️ {html.escape(problem)}" for problem in problems)
    else:
        lines.append(tr(lang, "card_ready"))
    counts = valid_part_counts(video.duration, min_s, max_s)
    keyboard = card_keyboard(
        lang,
        owner=owner,
        tag=video_tag(video.file_unique_id),
        parts=video.parts,
        part=min(video.part, max(video.parts, 1)),
        part_counts=counts,
        can_generate=not problems,
        needs_prompt=not video.prompt,
    )
    return Card("\n".join(lines), keyboard, not problems, tuple(problems))
