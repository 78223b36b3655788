"""The bot's pieces that need no server: texts, callback data, the settings menu's buttons, captions, progress."""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import re
from types import SimpleNamespace
from typing import Any

import pytest
from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest, RetryAfter

from bot.callbacks import (
    Answer,
    CardAction,
    CardPress,
    ForgetPress,
    JobAction,
    JobPress,
    MenuAction,
    MenuPress,
    video_tag,
)
from bot.config import DOWNLOAD_LIMIT_BYTES
from bot.context import BotData
from bot.delivery import CAPTION_LIMIT, result_caption
from bot.handlers.errors import on_error
from bot.jobtexts import BESIDE_PHASES, Phase, ProgressView, phase_of, phases_beside, progress_text
from bot.keyboards import card_keyboard, forget_keyboard, pick_part_keyboard, result_keyboard
from bot.progress import ProgressBoard, flood_wait_seconds
from bot.refusals import words
from bot.services import UserLocks
from bot.settings_screens import home_screen, menu_values, setting_screen, value_word
from bot.texts import human_size, language_of
from bot.who import Who
from engine.errors import BadInput
from engine.options import SPECS, UserOptions
from engine.stages import Stage
from storage.models import Job

BIG_USER = 9_999_999_999
BIG_JOB = 2_147_483_647


def test_the_language_is_the_setting_else_telegrams_when_spoken() -> None:
    assert language_of(None, "ru-RU") == "ru" and language_of(None, "de") == "en" and language_of("en", "ru") == "en"


def callback_data(markup: InlineKeyboardMarkup) -> list[str]:
    return [str(b.callback_data) for row in markup.inline_keyboard for b in row if b.callback_data]


def test_callback_data_fits_64_bytes() -> None:
    who = Who(-1_009_999_999_999, BIG_USER, "ru", UserOptions(), True, "ru")
    markups = [
        card_keyboard(
            "en",
            owner=BIG_USER,
            tag=video_tag("AgADbigvideo"),
            parts=50,
            part=25,
            part_counts=range(1, 100),
            can_generate=True,
            needs_prompt=True,
        ),
        result_keyboard("en", BIG_JOB, 4),
        *(
            card_keyboard(
                "en",
                owner=BIG_USER,
                tag=video_tag("x"),
                parts=3,
                part=p,
                part_counts=range(1, 8),
                can_generate=False,
                needs_prompt=False,
            )
            for p in (1, 2, 3)
        ),
        pick_part_keyboard(BIG_JOB, 60, 3),
        forget_keyboard("ru", BIG_USER),
        home_screen(who)[1],
        *(setting_screen(who, spec)[1] for spec in SPECS),
    ]
    data = [d for markup in markups for d in callback_data(markup)]
    assert data and all(len(d.encode()) <= 64 for d in data)


def test_menu_buttons_come_from_the_specs_and_read_back() -> None:
    for spec in SPECS:
        values = menu_values(spec)
        assert values, spec.name
        for value in values:
            assert spec.parse(value_word(spec, value)) == value, (spec.name, value)
    assert set(menu_values(next(s for s in SPECS if s.name == "scheduler"))) == {
        "dpm",
        "ddim",
        "euler",
        "euler_a",
        "pndm",
    }


def test_caption_keeps_prompt_seed_and_settings_within_1024() -> None:
    options = UserOptions(steps=30, negative="no drums " * 40, remix=0.5)
    job: Any = Job(id=7, prompt="lo-fi <piano> & rain " * 80, parts=4, part=2, seed=1234)
    caption = result_caption("en", job, options)
    shown = html.unescape(caption)  # Telegram counts the characters after parsing the HTML
    assert CAPTION_LIMIT - 30 <= len(shown) <= CAPTION_LIMIT  # the prompt is cut to fit, not to nothing
    assert "seed 1234" in caption and "steps 30" in caption and "remix 0.5" in caption and "&lt;piano&gt;" in caption
    assert "&" not in re.sub(r"&(lt|gt|amp|quot|#x27);", "", caption)  # never cut through an escape
    ampersands = result_caption("en", Job(id=7, prompt="&" * 900, parts=4, part=2, seed=1), UserOptions())
    assert len(html.unescape(ampersands)) <= CAPTION_LIMIT and "&" not in re.sub(r"&amp;", "", ampersands)


def test_progress_texts() -> None:
    view = ProgressView(Phase.GENERATING, step=10, steps=40, window=2, windows=3, eta_s=12)
    text = progress_text("en", 5, view)
    assert "step 10/40" in text and "window 2/3" in text and "12 s left" in text and "25%" in text
    batch = progress_text("en", 5, ProgressView(Phase.GENERATING, step=1, steps=4, windows=3))
    assert "3 windows at once" in batch and "window 1/3" not in batch
    assert "перед вами 3" in progress_text("ru", 5, ProgressView(Phase.QUEUED, position=3))
    assert "you are next" in progress_text("en", 5, ProgressView(Phase.QUEUED, position=0))


def test_every_stage_a_job_goes_through_has_words_in_every_language() -> None:
    """No stage the bot would show without words; none it shows that nothing emits (phase_of is keyed by Stage)."""
    shown = {stage: phase_of(stage) for stage in Stage}
    assert set(shown) == set(Stage)
    for lang in ("en", "ru"):
        for stage, phase in shown.items():
            text = progress_text(lang, 7, ProgressView(phase, parts=3, part=2))
            assert "#7" in text and "{" not in text, (lang, stage, text)
    assert shown[Stage.FETCH] is Phase.DOWNLOADING and shown[Stage.GENERATE] is Phase.GENERATING


def test_stages_under_way_at_the_same_time_each_have_a_line() -> None:
    """The music made beside the split: the main phase, and a line for each other phase under way."""
    beside = phases_beside(Phase.GENERATING, (Stage.SPLIT, Stage.GENERATE))
    assert beside == (Phase.SPLITTING,)
    view = ProgressView(Phase.GENERATING, step=3, steps=20, parts=4, part=2, beside=beside)
    text = progress_text("en", 9, view)
    assert "step 3/20" in text and text.endswith("splitting the video into 4 parts at the same time")
    assert "одновременно режу видео на 4 части" in progress_text("ru", 9, view)
    for lang in ("en", "ru"):
        for phase in BESIDE_PHASES:
            line = progress_text(lang, 9, ProgressView(Phase.PACKING, parts=3, part=2, beside=(phase,)))
            assert "{" not in line and len(line.splitlines()) == 2, (lang, phase, line)
    # The last word of a job names nothing under way.
    assert "\n" not in progress_text("en", 9, ProgressView(Phase.DONE, seconds=5, beside=(Phase.SPLITTING,)))


class RecordingBot:
    def __init__(self) -> None:
        self.edits: list[str] = []

    async def edit_message_text(self, text: str, **kwargs: Any) -> None:
        self.edits.append(text)


async def test_progress_board_skips_what_did_not_change_and_shows_the_last_state() -> None:
    bot = RecordingBot()
    board = ProgressBoard(bot, private_interval=0.01, group_interval=0.02)  # type: ignore[arg-type]
    board.attach(1, 100, 10, in_group=False, text="queued")
    board.show(1, "queued")  # what it already says: no edit
    await board.settled(1)
    assert bot.edits == []
    board.show(1, "step 1")
    board.show(1, "step 2")  # replaces step 1 before its slot comes
    await board.settled(1)
    assert bot.edits == ["step 2"]
    await board.finish(1, "done")
    assert bot.edits == ["step 2", "done"] and not board.has(1)


class FloodedOnceBot(RecordingBot):
    """Answers the first edit with a 429 that outlasted the rate limiter's retries."""

    def __init__(self) -> None:
        super().__init__()
        self.floods = 1

    async def edit_message_text(self, text: str, **kwargs: Any) -> None:
        if self.floods:
            self.floods -= 1
            raise RetryAfter(0)
        await super().edit_message_text(text, **kwargs)


async def test_a_state_refused_by_a_flood_wait_is_shown_after_the_wait() -> None:
    bot = FloodedOnceBot()
    board = ProgressBoard(bot, private_interval=0.01, group_interval=0.02)  # type: ignore[arg-type]
    board.attach(1, 100, 10, in_group=False, text="queued")
    await board.finish(1, "done")
    assert bot.edits == ["done"] and not board.has(1)


@pytest.mark.parametrize("timedelta_mode", ["0", "1"])
def test_a_flood_wait_reads_as_seconds_whether_retry_after_is_an_int_or_a_timedelta(
    timedelta_mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", timedelta_mode)
    assert flood_wait_seconds(RetryAfter(7)) == 7.0
    assert flood_wait_seconds(RetryAfter(dt.timedelta(seconds=2.5))) == 2.5


class AnsweredOnceBot:
    """Refuses a second answer to a button (Telegram's 400), records the chat messages."""

    def __init__(self) -> None:
        self.answers: list[str | None] = []
        self.sent: list[str] = []

    async def answer_callback_query(self, callback_query_id: str, text: str | None = None, **kwargs: Any) -> bool:
        if self.answers:
            raise BadRequest("Query is too old and response timeout expired or query id is invalid")
        self.answers.append(text)
        return True

    async def send_message(self, chat_id: int, text: str, **kwargs: Any) -> None:
        self.sent.append(text)


async def test_an_error_after_the_button_was_answered_still_reaches_the_member() -> None:
    bot = AnsweredOnceBot()
    user = {"id": 5, "is_bot": False, "first_name": "Ann", "language_code": "en"}
    message = {"message_id": 9, "date": 0, "chat": {"id": 5, "type": "private"}, "text": "card"}
    query = {"id": "q1", "from": user, "chat_instance": "c", "data": "s|5|home", "message": message}
    update = Update.de_json({"update_id": 1, "callback_query": query}, bot)  # type: ignore[arg-type]
    assert update is not None and update.callback_query is not None
    await update.callback_query.answer()  # the handler answered, then failed
    context: Any = SimpleNamespace(error=RuntimeError("the database went away"), bot=bot, bot_data=BotData())
    await on_error(update, context)
    assert len(bot.sent) == 1 and "went wrong" in bot.sent[0].lower()


async def test_user_lock_serialises_one_member_and_is_dropped_when_free() -> None:
    locks = UserLocks()
    order: list[str] = []

    async def tap(name: str, chat: int, user: int, hold: float) -> None:
        async with locks.hold(chat, user):
            order.append(f"{name} in")
            await asyncio.sleep(hold)
            order.append(f"{name} out")

    await asyncio.gather(tap("first", 1, 7, 0.05), tap("second", 1, 7, 0), tap("other", 1, 8, 0))
    # The same member's second tap waits for the first; another member does not wait.
    assert order.index("second in") > order.index("first out")
    assert order.index("other in") < order.index("first out")
    assert len(locks) == 0


def test_sizes_are_shown_in_the_unit_telegrams_limits_use() -> None:
    assert human_size(DOWNLOAD_LIMIT_BYTES) == "20.0 MB"
    assert human_size(20 * 1000 * 1000) == "19.1 MB"  # what the old 1000-based display called 20.0 MB
    assert human_size(2000 << 20) == "2000.0 MB"
    assert human_size(1536) == "1.5 KB" and human_size(None) == "?"


@pytest.mark.parametrize(
    "press",
    [
        CardPress(CardAction.PARTS, 3, video_tag("AgAD"), BIG_USER),
        CardPress(CardAction.LABEL, 0, "00000000", 1),
        MenuPress(BIG_USER, MenuAction.HOME),
        MenuPress(7, MenuAction.SET, "negative", "off"),
        JobPress(JobAction.CANCEL, BIG_JOB),
        JobPress(JobAction.RUN_PART, BIG_JOB, 3),
        ForgetPress(BIG_USER, Answer.YES),
    ],
)
def test_each_button_kind_reads_back_what_it_wrote(press: CardPress | MenuPress | JobPress | ForgetPress) -> None:
    data = press.encode()
    assert len(data.encode()) <= 64
    assert type(press).decode(data) == press
    others = [kind for kind in (CardPress, MenuPress, JobPress, ForgetPress) if kind is not type(press)]
    assert not any(kind.matches(data) for kind in others)


def test_buttons_sent_by_the_bot_before_keep_working() -> None:
    """The wire format did not change: cards and menus already in chats still decode to what they meant."""
    assert CardPress.decode("k|n|3|1a2b3c4d|42") == CardPress(CardAction.PARTS, 3, "1a2b3c4d", 42)
    assert JobPress.decode("j|c|17") == JobPress(JobAction.CANCEL, 17)
    assert JobPress.decode("j|pk|17|2") == JobPress(JobAction.RUN_PART, 17, 2)
    assert MenuPress.decode("s|42|v|seed|random") == MenuPress(42, MenuAction.SET, "seed", "random")
    assert ForgetPress.decode("f|42|n") == ForgetPress(42, Answer.NO)


@pytest.mark.parametrize("data", ["k|n|abc|tag|1", "j|c", "zzz", "", None, "j|zz|1", "f|1|maybe", "k|n|3|t|1|x|y"])
def test_forged_or_stale_button_data_is_a_refusal_not_a_crash(data: str | None) -> None:
    refusals = []
    for kind in (CardPress, MenuPress, JobPress, ForgetPress):
        with pytest.raises(BadInput) as refused:
            kind.decode(data)
        refusals.append(refused.value)
    assert {refusal.code for refusal in refusals} == {"button_unknown"}
    assert "button" in words("en", refusals[0]) and "кнопку" in words("ru", refusals[0])
