"""The Redis cache, made optional. Schema: any.

Everything the project keeps in the cache is a copy or a hint (host → association, the
billing state, import progress, rate-limit counters): the database stays the reference.
Django's own RedisCache raises when Redis cannot be reached, so a stopped Redis would turn
every page into a 500 (the host look-up of tenants.tenancy.middleware runs on every request). This
backend is the same class, except that a Redis that cannot be reached (refused, reset,
timed out, still loading its data) behaves like an empty cache that keeps nothing: reads
miss, so callers fall back to the database; writes and deletes are dropped; each failure
is logged as a warning. Any other Redis error (a bug) still raises.

What degrades while Redis is down, and only then: rate limits that count in the cache
let requests through (fail open), import progress bars stay at 0 % until the end, and
readiness (`/readyz`) answers 503 naming the cache. A host invalidation dropped during the
outage (an association deactivated or a domain changed while Redis was down) is not
replayed: after such an outage, clear the cache (`FLUSHDB` of the cache's database) if
associations or domains changed meanwhile.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from types import TracebackType
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from relier_platform.tenancy import current_schema

log = logging.getLogger(__name__)

# Connection-level failures only (BusyLoadingError, Redis loading its data at start, is a
# ConnectionError). Wrong commands or types are bugs and are not hidden.
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)


class _Unreachable:
    """Swallow (and log) an unreachable Redis; the caller then returns its fallback."""

    def __init__(self, operation: str) -> None:
        self.operation = operation

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 _tb: TracebackType | None) -> bool:
        if error is not None and isinstance(error, UNREACHABLE):
            log.warning("cache unavailable, %s skipped: %s", self.operation, error)
            return True
        return False


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's client, but one `redis.Redis` object per connection pool instead of a new one
    on every cache call: building it (its table of ~170 response callbacks) cost more than
    the round trip to Redis (bench/RESULTS.md, section 7). `redis.Redis` is safe to share
    between threads; the connections still come from the pool, one per command."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(  # type: ignore[attr-defined]
                connection_pool=pool)
        return client


class ResilientRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT,
            version: int | None = None) -> bool:
        with _Unreachable("add"):
            return super().add(key, value, timeout, version)
        return False

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        with _Unreachable("get"):
            return super().get(key, default, version)
        return default

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT,
            version: int | None = None) -> None:
        with _Unreachable("set"):
            super().set(key, value, timeout, version)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT,
              version: int | None = None) -> bool:
        with _Unreachable("touch"):
            return super().touch(key, timeout, version)
        return False

    def delete(self, key: Any, version: int | None = None) -> bool:
        with _Unreachable("delete"):
            return super().delete(key, version)
        return False

    def get_many(self, keys: Iterable[Any], version: int | None = None) -> dict[Any, Any]:
        with _Unreachable("get_many"):
            return super().get_many(keys, version)
        return {}

    def has_key(self, key: Any, version: int | None = None) -> bool:
        with _Unreachable("has_key"):
            return super().has_key(key, version)
        return False

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        # As if the counter had just started: a rate limit lets the request through.
        with _Unreachable("incr"):
            return super().incr(key, delta, version)
        return delta

    def set_many(self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT,
                 version: int | None = None) -> list[Any]:
        with _Unreachable("set_many"):
            return super().set_many(data, timeout, version)
        return list(data)  # the keys that were not stored

    def delete_many(self, keys: Iterable[Any], version: int | None = None) -> None:
        with _Unreachable("delete_many"):
            super().delete_many(keys, version)

    def clear(self) -> None:
        with _Unreachable("clear"):
            super().clear()


class LocalMemo:
    """A copy kept in this process for a few seconds of something read on every request
    (host → association, the billing state) in front of the shared cache, so that most
    requests make no Redis round trip at all. Schema: any.

    The copy may be stale for up to RELIER_LOCAL_CACHE_SECONDS in *other* processes: a
    change (an association deactivated or closing, a subscription paid) reaches every
    web worker within that time; the process that made the change forgets its own copy at
    once (`forget`). 0 turns it off (the tests' setting: they clear the shared cache between
    tests and expect the next request to read the database)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._entries: dict[Any, tuple[float, Any]] = {}

    @staticmethod
    def seconds() -> float:
        from django.conf import settings

        return float(getattr(settings, "RELIER_LOCAL_CACHE_SECONDS", 0) or 0)

    def get(self, key: Any) -> Any:
        """The value kept for `key`, or None (missing, expired or the memo off)."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if self.seconds() <= 0:  # turned off while running: what was kept is not read
            self._entries.clear()
            return None
        if entry[0] < time.monotonic():
            self._entries.pop(key, None)
            return None
        return entry[1]

    def set(self, key: Any, value: Any) -> None:
        seconds = self.seconds()
        if seconds <= 0:
            return
        if len(self._entries) > 10_000:  # hosts probed by a crawler: start again
            self._entries.clear()
        self._entries[key] = (time.monotonic() + seconds, value)

    def forget(self, *keys: Any) -> None:
        for key in keys:
            self._entries.pop(key, None)

    def shared(self, key: str, read: Callable[[], Any], seconds: int) -> Any:
        """The value the shared cache keeps under `key` (in the current schema: the cache's
        key function adds it), read through this process's copy: this copy, else the shared
        cache, else `read()` (then kept `seconds` in the shared cache). None is never kept.
        Its writers call `forget_shared(key)` in the schema of the change."""
        local = (current_schema(), key)
        found = None if _CHANGED_RECENTLY.get() else self.get(local)
        if found is None:
            from django.core.cache import cache

            found = cache.get(key)
            if found is None:
                found = read()
                cache.set(key, found, seconds)
            self.set(local, found)
        return found

    def forget_shared(self, *keys: str) -> None:
        """Forget this process's copy of `keys` (of `shared`) in the current schema; the caller
        deletes them from the shared cache. Other processes keep theirs: a person's requests
        right after their own change read past them (ChangedRecentlyMiddleware)."""
        schema = current_schema()
        self.forget(*((schema, key) for key in keys))

    def clear(self) -> None:
        self._entries.clear()


# Whether this request comes within RELIER_LOCAL_CACHE_SECONDS of a change made by the same
# browser (ChangedRecentlyMiddleware): `LocalMemo.shared` then reads the shared cache.
_CHANGED_RECENTLY: ContextVar[bool] = ContextVar("relier_changed_recently", default=False)
CHANGED_COOKIE = "relier_changed"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class ChangedRecentlyMiddleware:
    """A person sees their own change at once, whichever web worker serves them next.

    The process that makes a change forgets its copies (`forget_shared`) and the shared
    cache's, but the other web workers keep theirs a few seconds: the redirect after a
    task marked done could land on one of them and show the old count. So every response
    to a POST (PUT, PATCH, DELETE) sets a short cookie, and a request carrying it reads
    `LocalMemo.shared` values from the shared cache (refreshing this process's copy). The
    cookie says nothing but "1"; it lasts as long as the copies do, and is set only for a
    browser with a session (not for API clients)."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        from django.conf import settings

        token = _CHANGED_RECENTLY.set(request.COOKIES.get(CHANGED_COOKIE) == "1")
        try:
            response = self.get_response(request)
        finally:
            _CHANGED_RECENTLY.reset(token)
        seconds = LocalMemo.seconds()
        if (request.method not in SAFE_METHODS and seconds > 0
                and settings.SESSION_COOKIE_NAME in request.COOKIES):  # a browser's session
            response.set_cookie(CHANGED_COOKIE, "1", max_age=math.ceil(seconds),
                                secure=request.is_secure(), httponly=True, samesite="Lax")
        return response
