"""`riffcut bot` without a token says what to set and where to get one, and exits 2."""

from __future__ import annotations

import pytest

from riffcut.cli import main


def test_bot_without_token(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bot"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "TELEGRAM_BOT_TOKEN" in err and "@BotFather" in err and ".env" in err


@pytest.mark.parametrize(
    ("secret", "words"),
    [(None, "WEBHOOK_SECRET is not"), ("has spaces!", "A-Z, a-z, 0-9, _ or -")],
)
def test_a_webhook_needs_a_secret_telegram_accepts(
    secret: str | None, words: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without the secret header check, anyone who finds the URL could post updates as any user."""
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.org/riffcut")
    if secret is None:
        monkeypatch.delenv("WEBHOOK_SECRET", raising=False)
    else:
        monkeypatch.setenv("WEBHOOK_SECRET", secret)
    assert main(["bot"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err
