"""moto server for the load and fault runs: one request at a time, and
transactions undone key by key. Same arguments as `moto_server` (-H HOST -p PORT).

Why not plain `moto_server` (moto 5.2.5, scripts/requirements.txt):
- It serves requests on many threads, but its DynamoDB backend is not
  thread-safe: under 32 concurrent submissions, TransactWriteItems failed with
  "RuntimeError: dictionary changed size during iteration" (and 503s followed).
  DynamoDB transactions are serialisable; one request at a time restores that.
  (The Rust test suites do the same with a serialising HTTP proxy,
  shared/tests/common/moto.rs.)
- For its rollback, TransactWriteItems deep-copies the whole table once per
  item of the transaction: four copies of an ever-growing table per submission,
  quadratic over a run. Two minutes into a 2,000-submission run moto held 5.6 GB
  and every request timed out. Here a transaction instead remembers the few
  keys it touches and puts them back if it is cancelled.
"""

import copy
import logging
import sys
import threading

import moto.dynamodb.models as dynamodb_models
from moto import server
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table


class _NoTableCopies:
    """Stands in for the `copy` module inside moto's DynamoDB backend: its
    transaction "snapshot" of a table is the table itself, so its own rollback
    changes nothing and `_transact_write_items` below does the undoing."""

    def deepcopy(self, value, memo=None):
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    def __getattr__(self, name):
        return getattr(copy, name)


dynamodb_models.copy = _NoTableCopies()
_moto_transact_write_items = dynamodb_models.DynamoDBBackend.transact_write_items


def _transact_write_items(self, transact_items):
    touched = []
    for item in transact_items:
        ((_, operation),) = item.items()
        table = self.tables.get(operation.get("TableName"))
        attributes = operation.get("Key") or operation.get("Item")
        if table is None or not attributes or table.hash_key_attr not in attributes:
            continue
        partition = DynamoType(attributes[table.hash_key_attr])
        before = table.items.get(partition)
        # With a sort key an entry is a dict of items: copy it, it is changed in place.
        touched.append((table, partition, dict(before) if isinstance(before, dict) else before))
    try:
        return _moto_transact_write_items(self, transact_items)
    except BaseException:
        for table, partition, before in reversed(touched):
            if before is None:
                table.items.pop(partition, None)
            else:
                table.items[partition] = before
        raise


dynamodb_models.DynamoDBBackend.transact_write_items = _transact_write_items

_one_at_a_time = threading.Lock()
_dispatcher = server.DomainDispatcherApplication


class _SerialDispatcher(_dispatcher):
    def __call__(self, environ, start_response):
        with _one_at_a_time:
            # moto answers with whole bodies; reading them inside the lock keeps
            # each request's work in one turn.
            return list(super().__call__(environ, start_response))


server.DomainDispatcherApplication = _SerialDispatcher
# A log line per request costs the one thread that serves them all.
logging.getLogger("werkzeug").setLevel(logging.WARNING)

if __name__ == "__main__":
    sys.exit(server.main(sys.argv[1:]))
