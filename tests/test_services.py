"""The servers scripts/test starts for the run (scripts/services) answer, on loopback only: Redis through the `redis`
package that celery[redis] brings, PostgreSQL through asyncpg, the driver of DATABASE_URL=postgresql+asyncpg://."""

from __future__ import annotations

import uuid

import asyncpg
import redis.asyncio
from sqlalchemy.engine import make_url


async def test_redis_answers_and_keeps_an_append_only_file(redis_url: str) -> None:
    client = redis.asyncio.from_url(redis_url)
    try:
        assert await client.ping() is True
        key = f"riffcut-test-{uuid.uuid4().hex}"
        await client.set(key, "queued", ex=60)
        assert await client.get(key) == b"queued"
        assert (await client.config_get("appendonly"))["appendonly"] == "yes"  # as in docker-compose.yml
        assert (await client.config_get("bind"))["bind"] == "127.0.0.1"
    finally:
        await client.aclose()


async def test_postgres_round_trip(postgres_url: str) -> None:
    url = make_url(postgres_url)
    connection = await asyncpg.connect(host=url.host, port=url.port, user=url.username, database=url.database)
    try:
        await connection.execute("CREATE TEMP TABLE parts (n int, prompt text)")
        await connection.executemany("INSERT INTO parts VALUES ($1, $2)", [(2, "lofi piano"), (1, "soft jazz")])
        rows = await connection.fetch("SELECT prompt FROM parts ORDER BY n")
        assert [row["prompt"] for row in rows] == ["soft jazz", "lofi piano"]
        assert await connection.fetchval("SHOW listen_addresses") == "127.0.0.1"
    finally:
        await connection.close()
