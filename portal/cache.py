"""The cache on Redis, failing open: what it holds (rate limits, the API's throttles, sign-in and
verification counters, refusal counts) only limits, so with Redis stopped or not answering a
request goes on as if nothing were counted yet, after at most a second's wait, instead of failing;
each failure is logged. Submissions, decisions and downloads then work through a Redis outage
(the fault suite's Redis scenarios, docs/reliability.md)."""

import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
SOCKET_TIMEOUT_SECONDS = 1.0

# What each operation answers when Redis does not: nothing found, nothing kept, a first count.
_NEUTRAL = {
    "get": lambda key, default=None, *a, **k: default,
    "get_many": lambda *a, **k: {},
    "has_key": lambda *a, **k: False,
    "set": lambda *a, **k: None,
    "set_many": lambda *a, **k: [],
    "add": lambda *a, **k: True,
    "touch": lambda *a, **k: False,
    "delete": lambda *a, **k: False,
    "delete_many": lambda *a, **k: None,
    "incr": lambda key, delta=1, *a, **k: delta,
    "decr": lambda key, delta=1, *a, **k: -delta,
    "clear": lambda *a, **k: False,
}


def _fail_open(name: str):
    operation = getattr(RedisCache, name)

    def method(self, *args, **kwargs):
        try:
            return operation(self, *args, **kwargs)
        except RedisError as exc:
            log.warning("cache %s skipped: Redis unavailable (%s)", name, exc)
            return _NEUTRAL[name](*args, **kwargs)

    method.__name__ = name
    return method


class FailOpenRedisCache(RedisCache):
    def __init__(self, server, params):
        options = params.setdefault("OPTIONS", {})
        options.setdefault("socket_timeout", SOCKET_TIMEOUT_SECONDS)
        options.setdefault("socket_connect_timeout", SOCKET_TIMEOUT_SECONDS)
        super().__init__(server, params)


for _name in _NEUTRAL:
    setattr(FailOpenRedisCache, _name, _fail_open(_name))
