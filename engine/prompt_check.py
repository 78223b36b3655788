"""Whether a prompt fits the music model's text encoder, by the model's own tokenizer and nothing else of it.

`PromptCheck.load(model)` loads only the tokenizer (a few hundred KB: from a local folder, or from the Hugging Face
hub into its cache), so a front end that never loads the model still refuses a prompt the model could not take;
the Generator checks with the same class on its pipeline's tokenizer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine import refusals
from engine.errors import BadInput, EngineFailure, Refusal


class PromptCheck:
    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer

    @classmethod
    def load(cls, model: str) -> PromptCheck:
        """The tokenizer of `model` (a hub id or a folder); EngineFailure when it cannot be had."""
        from transformers import CLIPTokenizer

        local = Path(model).expanduser()
        source = str(local) if local.is_dir() else model
        try:
            tokenizer: Any = CLIPTokenizer.from_pretrained(source, subfolder="tokenizer")
        except (OSError, ValueError) as exc:
            raise EngineFailure(f"The tokenizer of the music model {model} could not be loaded: {exc}") from exc
        return cls(tokenizer)

    @property
    def max_tokens(self) -> int:
        return int(self.tokenizer.model_max_length)

    def tokens(self, text: str) -> int:
        """Tokens the model's own tokenizer makes of `text`, with the start and end tokens."""
        return len(self.tokenizer(text, truncation=False).input_ids)

    def fits(self, text: str) -> tuple[int, bool]:
        count = self.tokens(text)
        return count, count <= self.max_tokens

    def __call__(self, text: str, *, too_long: Refusal = refusals.PROMPT_TOO_LONG) -> str:
        """The prompt, stripped; BadInput when empty or longer than the text encoder takes (never truncated)."""
        stripped = " ".join(text.split())
        if not stripped:
            raise BadInput(refusals.PROMPT_EMPTY)
        count, fits = self.fits(stripped)
        if not fits:
            raise BadInput(too_long, count=count, limit=self.max_tokens)
        return stripped
