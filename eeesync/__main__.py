"""`python -m eeesync` → the CLI."""

from eeesync.cli.main import main

# Guarded: worker processes (eeesync/parallel_map.py, spawned) import this module again.
if __name__ == "__main__":
    raise SystemExit(main())
