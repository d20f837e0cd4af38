"""The plan: what eeesync wants to change on the Hub, as data (`model`), computed by `diff`/`merge`,
stored by `file`."""
