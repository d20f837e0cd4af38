"""`python -m eeesync` → the CLI."""

from eeesync.cli.main import main

raise SystemExit(main())
