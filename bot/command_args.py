"""What follows a command word in a message, and the numbers commands take."""

from __future__ import annotations

from telegram import Message

from engine.errors import BadInput, Refusal


def command_text(message: Message) -> str:
    """What follows the command word (`/prompt@Bot lo-fi` -> `lo-fi`)."""
    text = message.text or message.caption or ""
    head, _, rest = text.partition(" ")
    if "\n" in head:
        head, _, more = head.partition("\n")
        rest = f"{more} {rest}".strip()
    return rest.strip()


def whole_number(text: str, refusal: Refusal) -> int:
    """`text` as an int; BadInput(`refusal`, value=text) otherwise."""
    try:
        return int(text.strip())
    except ValueError:
        raise BadInput(refusal, value=text.strip()) from None
