"""SQLite storage of the bench: message log, offline queues, configuration, state, caches.

Importing the package registers every module's schema, so ``open_database``
creates all tables in one go.
"""

from bench.store.authcache import AuthCache, AuthCacheEntry
from bench.store.config import ConfigStore, StateStore
from bench.store.db import (
    Schema,
    StoreFormatError,
    ensure_schema,
    open_database,
    register_schema,
    transaction,
)
from bench.store.locallist import LocalListStore
from bench.store.messages import MessageLog
from bench.store.queue import OfflineQueue, QueuedMessage
from bench.store.sinks import ConsoleSink, JsonlSink

__all__ = [
    "AuthCache",
    "AuthCacheEntry",
    "ConfigStore",
    "ConsoleSink",
    "JsonlSink",
    "LocalListStore",
    "MessageLog",
    "OfflineQueue",
    "QueuedMessage",
    "Schema",
    "StateStore",
    "StoreFormatError",
    "ensure_schema",
    "open_database",
    "register_schema",
    "transaction",
]
