"""Moved: the audit cache now lives in `eeesync/cache.py` next to the object cache.

Kept only as a re-export for `eeesync/modelview.py`, which is being reworked in parallel; delete
this module once that import reads `from eeesync.cache import AuditCache`.
"""

from eeesync.cache import AuditCache

__all__ = ["AuditCache"]
