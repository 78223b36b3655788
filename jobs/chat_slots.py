"""Telegram's per-chat budget for progress edits, shared by every process that edits (RUNNER=celery).

In one process the bot's ProgressBoard spaces a chat's edits itself. With workers on several hosts editing the
progress messages of jobs in the same group, each would spend the chat's whole budget; `RedisChatSlots` keeps one
next-free-slot time per chat in Redis, claimed atomically (a Lua script on the server's own clock), so together
they stay within it, and edits land in the order their slots were claimed. It fits the board's `shared` slots.
"""

from __future__ import annotations

import logging

import redis.asyncio as aioredis

log = logging.getLogger(__name__)

KEY = "riffcut:chat-slot:{chat_id}"

# KEYS[1]: the chat's key; ARGV[1]: the interval to claim (s). Returns the seconds to wait for the claimed slot.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local at = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
local after = at + tonumber(ARGV[1])
redis.call('SET', KEYS[1], tostring(after), 'PX', math.ceil((after - now) * 1000) + 1000)
return tostring(at - now)
"""
# KEYS[1]: the chat's key; ARGV[1]: seconds Telegram asked to wait. No slot before then.
_HOLD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local after = math.max(now + tonumber(ARGV[1]), tonumber(redis.call('GET', KEYS[1]) or '0'))
redis.call('SET', KEYS[1], tostring(after), 'PX', math.ceil((after - now) * 1000) + 1000)
return 1
"""


class RedisChatSlots:
    def __init__(self, url: str) -> None:
        self._redis = aioredis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._reserve = self._redis.register_script(_RESERVE)
        self._hold = self._redis.register_script(_HOLD)

    async def reserve(self, chat_id: int, interval: float) -> float:
        """Claim the chat's next slot; the seconds to wait for it."""
        return float(await self._reserve(keys=[KEY.format(chat_id=chat_id)], args=[interval]))

    async def hold(self, chat_id: int, seconds: float) -> None:
        """Telegram asked to wait: no slot in this chat for `seconds`."""
        await self._hold(keys=[KEY.format(chat_id=chat_id)], args=[seconds])

    async def close(self) -> None:
        await self._redis.aclose()
