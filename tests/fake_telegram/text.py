"""Text rules of the Bot API: formatting (parse_mode), length limits, command entities, keyboards."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from .models import JSON, bad_request

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64

_HTML_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "tg-emoji",
    "code", "pre", "blockquote",
}  # fmt: skip


class _TelegramHTML(HTMLParser):
    """Strips the tags Telegram accepts and refuses the rest, as the Bot API does."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.open: list[str] = []
        self.problem: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HTML_TAGS:
            self.problem = self.problem or f'Unsupported start tag "{tag}"'
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.problem = self.problem or f'Unexpected end tag "{tag}"'
        else:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


_MD2_ESCAPE = re.compile(r"\\([_*\[\]()~`>#+\-=|{}.!\\])")
_MD2_LINK = re.compile(r"(?<!\\)\[(.*?)(?<!\\)\]\((?:[^)\\]|\\.)*\)")
_MD2_RESERVED = re.compile(r"(?<!\\)[.!#+\-=|{}>()]")


def visible_text(text: str, parse_mode: str | None) -> str:
    """The text a user sees after formatting; a malformed formatting is a 400 like Telegram's."""
    if not parse_mode:
        return text
    mode = parse_mode.lower()
    if mode == "html":
        parser = _TelegramHTML()
        parser.feed(text)
        parser.close()
        if parser.problem is None and parser.open:
            parser.problem = f'Can\'t find end tag corresponding to start tag "{parser.open[-1]}"'
        if parser.problem:
            raise bad_request(f"can't parse entities: {parser.problem}")
        return "".join(parser.parts)
    if mode == "markdownv2":
        text = _MD2_LINK.sub(r"\1", text)  # [shown text](url): the user sees the text
        match = _MD2_RESERVED.search(re.sub(r"```.*?```|`[^`]*`", "", text, flags=re.DOTALL))
        if match:
            raise bad_request(
                f"can't parse entities: Character '{match.group()}' is reserved and must be escaped "
                "with the preceding '\\'"
            )
        plain = re.sub(r"(?<!\\)[*_~`|]", "", text)
        return _MD2_ESCAPE.sub(r"\1", plain)
    if mode == "markdown":
        return re.sub(r"[*_`]", "", text)
    raise bad_request(f"unsupported parse_mode {parse_mode!r}")


def check_text(text: Any, parse_mode: str | None) -> str:
    if not isinstance(text, str) or not text.strip():
        raise bad_request("message text is empty")
    shown = visible_text(text, parse_mode)
    if not shown.strip():
        raise bad_request("message text is empty")
    if len(shown) > MAX_TEXT:
        raise bad_request("message is too long")
    return shown


def check_caption(caption: Any, parse_mode: str | None) -> str | None:
    if caption is None or caption == "":
        return None
    shown = visible_text(str(caption), parse_mode)
    if len(shown) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    return shown


def check_reply_markup(markup: Any) -> JSON | None:
    """Validates an inline keyboard the way Telegram refuses bad ones; other keyboards pass through."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return markup
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                )
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                raise bad_request("BUTTON_DATA_INVALID")
            if not any(
                k in button
                for k in (
                    "callback_data",
                    "url",
                    "switch_inline_query",
                    "web_app",
                    "switch_inline_query_current_chat",
                    "copy_text",
                    "login_url",
                    "callback_game",
                    "pay",
                    "switch_inline_query_chosen_chat",
                )
            ):
                raise bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                )
    if not any(rows):
        return None  # an empty inline keyboard removes the keyboard
    return markup


def command_entities(text: str | None) -> list[JSON]:
    """A bot_command entity for a leading /command (or /command@BotName), as Telegram's clients make them."""
    if not text:
        return []
    match = re.match(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{3,64})?", text)
    if not match:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group())}]


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def command_target(text: str | None) -> tuple[str, str | None] | None:
    """``("/cmd", "BotName" or None)`` for a text that starts with a command, else None."""
    if not text:
        return None
    match = re.match(r"(/[A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{3,64}))?", text)
    return (match.group(1), match.group(2)) if match else None
