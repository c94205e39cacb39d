"""Django's Redis cache backend, keeping one redis-py client per connection pool.

Django's RedisCacheClient makes a new `redis.Redis` for every operation; with redis-py 5 and
later that object costs more CPU to make than the operation's round trip, and a page makes
several. A client is safe to share between threads and keeps no connection of its own (its
pool does, and makes new ones after a fork), so one per pool is made, the first time.
"""

from __future__ import annotations

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)
            client = self._clients[index] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient

    def count_and_get_many(self, key: str, timeout: int, keys: list[str]) -> dict:
        """Add one to the counter `key` (made at 0, expiring in `timeout` seconds, if missing),
        then read `keys` (the counter among them if asked): one round trip, a pipeline of
        SET NX, INCR and MGET. Each command is atomic, so concurrent counts are never lost;
        what is read may already include another request's count, as with incr then
        get_many. The cache's plain API does the same in two or three round trips."""
        # The keys are the caller's own, short and plain: made, not checked one by one for
        # memcached's rules (a counter read covers a whole window of keys).
        counter = self.make_key(key)
        names = {self.make_key(name): name for name in keys}
        client = self._cache.get_client(counter, write=True)
        with client.pipeline(transaction=False) as pipe:
            pipe.set(counter, 0, ex=timeout, nx=True)
            pipe.incr(counter)
            pipe.mget(list(names))
            *_, values = pipe.execute()
        loads = self._cache._serializer.loads
        return {names[k]: loads(v) for k, v in zip(names, values, strict=True) if v is not None}
