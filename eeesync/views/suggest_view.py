"""Render `eeesync models suggest`'s proposals (computed in eeesync/suggest.py)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from eeesync.suggest import SuggestReport

_STYLES = {"high": "green", "medium": "yellow", "low": "red", "none": "dim"}


def render_suggestions(report: SuggestReport, console: Console) -> None:
    if not report.suggestions:
        console.print("No missing_hf_model entries in this plan: nothing to suggest.")
        return
    table = Table(show_edge=False, pad_edge=False)
    for header in ("Recorded as", "Entries", "Proposed repo", "Confidence", "Evidence"):
        table.add_column(header, overflow="fold")
    for s in report.suggestions:
        table.add_row(
            s.model_id,
            str(s.entries),
            s.repo_id or "—",
            f"[{_STYLES.get(s.confidence, '')}]{s.confidence}[/]",
            "; ".join(s.evidence),
        )
    console.print(table)
    found = sum(1 for s in report.suggestions if s.repo_id)
    console.print(
        f"{found} of {len(report.suggestions)} missing models have a proposal; "
        f"{report.requests} Hub searches ({report.cache_hits} cached)."
    )
    if report.written:
        console.print(
            f"Wrote {report.written} proposals, commented out, to {report.alias_file}: "
            "review them and uncomment the ones you accept, then run `eeesync plan` again."
        )
    elif report.alias_file:
        console.print(f"No new proposals for {report.alias_file}.")
