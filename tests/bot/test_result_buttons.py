"""The result's buttons: the same video again on another part, or with a new seed, without sending it again."""

from __future__ import annotations

import json
import zipfile
from io import BytesIO
from pathlib import Path

import pytest

from tests.bot.bot_harness import BotUnderTest, ready_card, wait_for_zip
from tests.fake_telegram import FakeTelegram

pytestmark = pytest.mark.slow  # each test runs whole jobs


def job_json(zip_bytes: bytes) -> dict[str, object]:
    with zipfile.ZipFile(BytesIO(zip_bytes)) as archive:
        return dict(json.loads(archive.read("job.json")))


async def test_another_part_and_new_seed(bot: BotUnderTest, tg: FakeTelegram, tiny_video: Path) -> None:
    ann = tg.add_user("Ann")
    card = await ready_card(bot, ann, tiny_video, previews=0)
    since = tg.mark()
    tg.press(ann, card, "Split-n-Generate")
    first = job_json((await wait_for_zip(tg, ann.id, since)).files["document"].data)
    assert first["chosen_part"] == 1
    downloads = len(tg.downloads)
    result = await tg.wait_for_bot_message(ann, lambda m: m.media_type == "video" and "seed" in (m.caption or ""))

    tg.press(ann, result, "Another part")
    picker = await tg.wait_for_bot_message(ann, lambda m: "Which part" in m.content, after=result)
    since = tg.mark()
    tg.press(ann, picker, "2")
    second = job_json((await wait_for_zip(tg, ann.id, since)).files["document"].data)
    assert second["chosen_part"] == 2 and second["prompt"] == "calm piano"

    since = tg.mark()
    tg.press(ann, result, "New seed")
    third = job_json((await wait_for_zip(tg, ann.id, since)).files["document"].data)
    assert third["chosen_part"] == 1 and third["seed"] != first["seed"]
    assert len(tg.downloads) == downloads + 2  # each job fetched the video from Telegram; the user sent it once
