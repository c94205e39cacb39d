"""The Redis cache backend (streamsite.cache) against a real redis-server: what Django's does,
with one redis-py client per connection pool."""

from __future__ import annotations

import subprocess

import pytest
from django.core.cache import caches

from devservers.servers import free_port, install_redis, wait_until


@pytest.fixture
def redis_url():
    port = free_port()
    command = [install_redis(), "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    try:
        url = f"redis://127.0.0.1:{port}/1"

        def answers() -> bool:
            try:
                import redis

                return redis.Redis.from_url(url).ping()
            except Exception:
                return False

        wait_until(answers, 10, "redis-server", server)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_redis_cache_stores_counts_and_forgets_with_one_client(settings, redis_url):
    settings.CACHES = {"default": {"BACKEND": "streamsite.cache.RedisCache", "LOCATION": redis_url}}
    cache = caches["default"]
    cache.set("a", {"x": 1}, 30)
    assert cache.get("a") == {"x": 1}
    assert cache.add("n", 1, 30) and cache.incr("n") == 2
    cache.delete_many(["a", "n"])
    assert cache.get_many(["a", "n"]) == {}
    client = cache._cache.get_client("a")
    assert cache._cache.get_client("b", write=True) is client
