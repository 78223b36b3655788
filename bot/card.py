"""The status card: the demo's status panel as a chat message, with buttons.

It shows the applied prompt, the number of parts, the chosen part, each part's duration, the chosen part's
time range, and the video's length and size. The numbers come from `engine.parts.plan`, the one part length
rule. "Split-n-Generate" is offered only when the prompt, parts and chosen part are all valid; otherwise the
card says what is missing: each problem is a refusal (`problems_of`), worded in the member's language.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup

from bot import refusals
from bot.callbacks import video_tag
from bot.config import PartRule
from bot.keyboards import card_keyboard
from bot.refusals import words
from bot.services import PromptCheck
from bot.texts import human_size, tr
from engine.errors import BadInput
from engine.options import UserOptions
from engine.parts import PartPlan, plan, valid_part_counts
from engine.words import format_time
from storage.videos_repo import Choice

PROMPT_SHOWN_CHARS = 300


@dataclass(frozen=True)
class Card:
    text: str
    keyboard: InlineKeyboardMarkup
    plan: PartPlan | None = None  # the split, when the numbers are right (the picture draws it)


def seconds_text(value: float) -> str:
    return f"{value:.2f} s" if value < 60 else format_time(value)


def problems_of(
    choice: Choice, options: UserOptions, check_prompt: PromptCheck, rule: PartRule
) -> tuple[PartPlan | None, list[BadInput]]:
    """The plan (None when the numbers are wrong) and every refusal that keeps Generate hidden."""
    problems: list[BadInput] = []
    if not choice.prompt:
        problems.append(BadInput(refusals.MISSING_PROMPT))
    else:
        try:
            check_prompt(choice.prompt)
        except BadInput as exc:
            problems.append(exc)
    the_plan: PartPlan | None = None
    try:
        the_plan = plan(choice.video.duration, choice.parts, choice.part, rule.min_s, rule.max_s, rule.max_parts)
    except BadInput as exc:
        problems.append(exc)
    if options.remix is not None and choice.video.has_audio is False:
        problems.append(BadInput(refusals.MISSING_REMIX_AUDIO))
    return the_plan, problems


def build_card(
    lang: str, choice: Choice, options: UserOptions, *, owner: int, check_prompt: PromptCheck, rule: PartRule
) -> Card:
    the_plan, problems = problems_of(choice, options, check_prompt, rule)
    video = choice.video
    lines = [
        tr(lang, "<b>Your video</b>"),
        tr(
            lang,
            "🎬 Video: {length}, {width}×{height}, {size}",
            length=seconds_text(video.duration),
            width=video.width,
            height=video.height,
            size=human_size(video.size_bytes),
        ),
    ]
    if choice.prompt:
        prompt = choice.prompt
        shown = prompt if len(prompt) <= PROMPT_SHOWN_CHARS else prompt[:PROMPT_SHOWN_CHARS] + "…"
        lines.append(tr(lang, "🎵 Prompt: {prompt}", prompt=f"<i>{html.escape(shown)}</i>"))
    else:
        lines.append(tr(lang, "🎵 Prompt: none yet"))
    if the_plan is not None:
        start, end = the_plan.chosen_range
        lines.append(
            tr(
                lang,
                "✂️ Parts: {parts} × {part_length} each",
                parts=the_plan.parts,
                part_length=seconds_text(the_plan.part_duration),
            )
        )
        lines.append(
            tr(
                lang,
                "🎯 Chosen part: {part} of {parts}, {start} – {end}",
                part=the_plan.chosen,
                parts=the_plan.parts,
                start=format_time(start),
                end=format_time(end),
            )
        )
    lines.append("")
    if problems:
        lines.extend(f"⚠️ {html.escape(words(lang, problem))}" for problem in problems)
    else:
        lines.append(tr(lang, "Ready: press Split-n-Generate."))
    keyboard = card_keyboard(
        lang,
        owner=owner,
        tag=video_tag(video.file_unique_id),
        parts=choice.parts,
        part=min(choice.part, max(choice.parts, 1)),
        part_counts=valid_part_counts(video.duration, rule.min_s, rule.max_s, rule.max_parts),
        can_generate=not problems,
        needs_prompt=not choice.prompt,
    )
    return Card("\n".join(lines), keyboard, the_plan)
