"""Whether texts (log lines, a process's output, messages to users) carry the bot token."""

from __future__ import annotations

from collections.abc import Iterable


def secrets_in(texts: Iterable[str], token: str) -> list[str]:
    """The texts that carry the bot token or its secret part (after the ":"; the whole token when it has none)."""
    secret = token.split(":", 1)[-1]
    return [text for text in texts if secret and secret in text]
