"""Settings through the inline menu and through /set, read back after a restart of the bot."""

from __future__ import annotations

from tests.bot.bot_harness import BotUnderTest
from tests.fake_telegram import FakeTelegram


async def test_settings_by_buttons_and_set_survive_restart(bot: BotUnderTest, tg: FakeTelegram) -> None:
    ann = tg.add_user("Ann")
    menu = await bot.say(ann, "/settings")
    assert "Diffusion steps: 50" in menu.content and "Seed: random" in menu.content
    # buttons: steps -> 20
    tg.press(ann, menu, "Diffusion steps: 50")
    await tg.wait_until(lambda: "Allowed" in tg.message(ann, menu.message_id).content)
    tg.press(ann, menu, "20")
    await tg.wait_until(lambda: "Diffusion steps: 20" in tg.message(ann, menu.message_id).content)
    # buttons: full cut -> on
    tg.press(ann, menu, "Full cut: off")
    await tg.wait_until(lambda: "Allowed" in tg.message(ann, menu.message_id).content)
    tg.press(ann, menu, "on")
    await tg.wait_until(lambda: "Full cut: on" in tg.message(ann, menu.message_id).content)
    # /set, with refusals that name the allowed values and change nothing
    assert "Seed: 1234" in (await bot.say(ann, "/set seed 1234")).content
    assert "Guidance scale: 3" in (await bot.say(ann, "/set cfg 3")).content
    refused = await bot.say(ann, "/set steps 500")
    assert "1 to 100" in refused.content
    refused = await bot.say(ann, "/set previews lots")
    assert "0 (none)" in refused.content
    refused = await bot.say(ann, "/set colour red")
    assert "no setting 'colour'" in refused.content
    assert "Язык: ru" in (await bot.say(ann, "/set language ru")).content

    await bot.restart()

    menu = await bot.say(ann, "/settings")
    text = menu.text or ""
    assert "20" in text and "1234" in text
    # Russian menu after /set language ru, with the values kept
    assert "Настройки" in text
    back = await bot.say(ann, "/set language en")
    assert "Language: en" in back.content
    menu = await bot.say(ann, "/settings")
    for line in ("Diffusion steps: 20", "Full cut: on", "Seed: 1234", "Guidance scale: 3"):
        assert line in menu.content


async def test_menu_answers_only_its_owner(bot: BotUnderTest, tg: FakeTelegram) -> None:
    ann, bob = tg.add_user("Ann"), tg.add_user("Bob")
    group = tg.add_group(members=[ann, bob])
    menu = await bot.say(ann, "/settings", chat=group)
    query = tg.press(bob, menu, "Diffusion steps: 50")
    answer = await tg.wait_until(lambda: tg.callback_answer(query))
    assert "belongs to the member who opened it" in answer.get("text", "")
    assert "Allowed" not in tg.message(group, menu.message_id).content
