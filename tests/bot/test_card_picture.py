"""The status card's timeline picture: it arrives with the card, and its highlighted part moves in place
(editMessageMedia) when the parts or the chosen part change, drawn from the frames kept with the video."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from engine.timeline import STRIP_WIDTH
from tests.bot.bot_harness import BotUnderTest
from tests.fake_telegram import FakeTelegram, FakeUser, ViewMessage


def picture(tg: FakeTelegram, message: ViewMessage) -> Image.Image:
    assert message.media_type == "photo", message
    assert message.file_id is not None
    return Image.open(io.BytesIO(tg.file(message.file_id).data)).convert("L")


def brightness_per_part(image: Image.Image, parts: int) -> list[float]:
    """The mean brightness of each part's span of the strip (the top of the picture, above the time axis)."""
    assert image.width == STRIP_WIDTH
    strip_height = image.height - 50
    means = []
    for index in range(parts):
        left, right = round(index * image.width / parts) + 6, round((index + 1) * image.width / parts) - 6
        region = image.crop((left, 6, right, strip_height - 6))
        means.append(sum(region.getdata()) / (region.width * region.height))
    return means


def brightest(image: Image.Image, parts: int) -> int:
    means = brightness_per_part(image, parts)
    return means.index(max(means)) + 1


async def card_now(tg: FakeTelegram, user: FakeUser, card: ViewMessage) -> ViewMessage:
    return tg.message(user, card.message_id)


async def test_the_card_shows_the_parts_and_moves_the_highlight(
    bot: BotUnderTest, tg: FakeTelegram, video: Path
) -> None:
    ann = tg.add_user("Ann")
    await bot.say(ann, "/start")
    sent = tg.send_video(ann, video, caption="calm piano")
    card = await bot.answer_to(sent, lambda m: "Ready" in m.content)
    assert card.media_type == "photo" and card.reply_to_message_id == sent.message_id
    first = picture(tg, card)
    downloads = len(tg.downloads)

    since = tg.mark()
    tg.press(ann, card, "✂️ +")  # 1 part -> 2 parts
    await tg.wait_until(lambda: "2 × " in tg.message(ann, card.message_id).content)
    edits = [c for c in tg.calls[since:] if c.method == "editMessageMedia" and c.ok]
    assert len(edits) == 1  # the picture was changed in place, in the same message
    two = picture(tg, await card_now(tg, ann, card))
    assert two.tobytes() != first.tobytes()
    means = brightness_per_part(two, 2)
    assert brightest(two, 2) == 1 and means[0] > 2 * means[1], means  # part 1 chosen, part 2 dimmed

    tg.press(ann, card, "🎯 +")  # the chosen part: 2
    await tg.wait_until(lambda: "Chosen part: 2 of 2" in tg.message(ann, card.message_id).content)
    moved = picture(tg, await card_now(tg, ann, card))
    means = brightness_per_part(moved, 2)
    assert brightest(moved, 2) == 2 and means[1] > 2 * means[0], means  # the highlight moved to part 2

    since = tg.mark()
    await bot.say(ann, "/prompt soft rain")  # a new card as a reply: the same split, drawn from the same frames
    again = await tg.wait_for_bot_message(ann, lambda m: "soft rain" in m.content and m.media_type == "photo")
    assert brightest(picture(tg, again), 2) == 2
    assert len(tg.downloads) == downloads  # nothing was read from the video again for any of these pictures
    assert not [c for c in tg.calls[since:] if c.method == "getFile"]


async def test_a_group_member_gets_the_same_card(bot: BotUnderTest, tg: FakeTelegram, video: Path) -> None:
    ann = tg.add_user("Ann")
    group = tg.add_group(members=[ann])
    riff = tg.send_video(ann, video, caption="/riff calm piano", chat=group)
    await tg.wait_for_bot_message(group, lambda m: "Job #" in m.content, after=riff, timeout=30)
    await bot.runner.wait_idle()
    status = await bot.say(ann, "/status", chat=group)
    card = await tg.wait_for_bot_message(group, lambda m: "Your video" in m.content, after=status.message_id - 1)
    assert card.media_type == "photo"
    assert brightest(picture(tg, card), 1) == 1
