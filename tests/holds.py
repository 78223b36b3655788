"""Holding one step of a job open until the test lets it go, so that "while it still runs" is certain, not a race:
the step's real function runs, then (or first) it waits for the event. A guard fails a test that never lets go."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

GUARD_S = 240.0


def hold(
    monkeypatch: pytest.MonkeyPatch, target: str, real: Callable[..., Awaitable[Any]], *, after: bool = True
) -> asyncio.Event:
    """Patch `target` (e.g. "engine.render.write_zip_async") with `real` held on the returned event: `after` it
    ran (the default), or before it runs."""
    release = asyncio.Event()

    async def held(*args: Any, **kwargs: Any) -> Any:
        if not after:
            async with asyncio.timeout(GUARD_S):
                await release.wait()
        result = await real(*args, **kwargs)
        if after:
            async with asyncio.timeout(GUARD_S):
                await release.wait()
        return result

    monkeypatch.setattr(target, held)
    return release
