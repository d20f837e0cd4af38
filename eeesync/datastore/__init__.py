"""Read an EEE datastore: locator → collection indexes → verified, parsed records.

`locator.py` resolves where the datastore is, `index.py` reads the collection indexes,
`records.py` verifies and parses one record, `scan.py` connects them (concurrent, cached,
in index order). This package file only re-exports the names callers use.
"""

from eeesync.datastore.index import IndexRow
from eeesync.datastore.locator import Locator, resolve_locator
from eeesync.datastore.records import Record
from eeesync.datastore.scan import (
    DatastoreRead,
    DatastoreScan,
    list_collections,
    open_datastore,
    read_datastore,
)

__all__ = [
    "DatastoreRead",
    "DatastoreScan",
    "IndexRow",
    "Locator",
    "Record",
    "list_collections",
    "open_datastore",
    "read_datastore",
    "resolve_locator",
]
