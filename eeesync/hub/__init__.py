"""Everything that talks to the Hub: `client` builds the one `HfApi`, `audit` reads repo state."""
