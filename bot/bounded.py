"""`BoundedDict`: a dict that forgets its oldest entries beyond a limit (in-memory notes that must not grow forever).

A leaf module: bot.progress and bot.services both use it, and services imports progress.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BoundedDict(OrderedDict[K, V]):
    """A dict that forgets its oldest entries beyond `limit` (in-memory notes that must not grow forever)."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def __setitem__(self, key: K, value: V) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.limit:
            self.popitem(last=False)
