"""`riffcut bot` without a token says what to set and where to get one, and exits 2."""

from __future__ import annotations

import pytest

from riffcut.cli import main


def test_bot_without_token(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bot"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "TELEGRAM_BOT_TOKEN" in err and "@BotFather" in err and ".env" in err
