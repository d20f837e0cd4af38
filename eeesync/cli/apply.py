"""`eeesync apply PLAN`: open exactly the planned PRs after a typed `OPEN PRS` confirmation.

The command wires the apply stage (`eeesync/apply/`) to the terminal: verify the plan and its
endpoint, take the lock, preview (read-only Hub checks), confirm, apply, report. Apply takes no
planning flags: the plan file is the whole truth. With `--json` (`--format json`), stdout
carries NDJSON events (first a `version` message; see docs/json-events.md) and the human text
goes to stderr.

Confirmation: at a terminal the user types `OPEN PRS` and a PR title; without one only
`--confirm "OPEN PRS" --message MSG` approve. Piped stdin is not a terminal, so it never
approves. Anything else exits 1 having written nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from rich.console import Console

from eeesync.apply import (
    CONFIRM_PHRASE,
    DEFAULT_PARALLELISM,
    ApplyEvent,
    ApplyOptions,
    ApplyReport,
    Outcome,
    Preview,
    apply_plan,
    check_endpoint,
    check_publishable,
    hub_unreachable,
    prepare_apply,
)
from eeesync.apply.journal import concluded, journal_path, read_journal
from eeesync.apply.lock import acquire_lock
from eeesync.apply.preview import check_registry
from eeesync.apply.run import record_refused, record_without_writing
from eeesync.cli.common import open_hub, setting_flag
from eeesync.config import Config
from eeesync.errors import ConfirmationError, PlanFileError, UserError
from eeesync.hub.client import is_rehearsal_endpoint, unreachable
from eeesync.hub.writes import WritePace
from eeesync.imports.submit import ACTION_ID, SubmitResult, check_import_plan, submit
from eeesync.plan.import_file import read_any_plan
from eeesync.plan.import_model import ImportPlan, ImportStatus
from eeesync.plan.model import Plan
from eeesync.stages import configured_registry
from eeesync.text import plural
from eeesync.views import apply_view

if TYPE_CHECKING:
    from eeesync.cli.main import App

HELP = 'open the PRs of a saved plan (after typing "OPEN PRS")'
#: No markdown: apply is a live run, not a document (`--format markdown` is an error).
FORMATS = ("text", "json")  # `--format`/`--json` (NDJSON events), added by cli/main
EXIT_INTERRUPTED = 130
#: `--detailed-exitcode`: actions are left for a rerun (held back by --max-prs, failed).
EXIT_LEFT = 2


@attrs.frozen
class Terminal:
    """Where the confirmation is typed. Injected by tests; the default is the real stdin."""

    is_interactive: Callable[[], bool]
    read_line: Callable[[str], str]  # shows the prompt, returns the line; EOFError at the end


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _seconds(text: str) -> float:
    value = float(text.removesuffix("s"))
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more seconds")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare this command's flags."""
    parser.add_argument("plan", type=Path, help="the plan file written by `eeesync plan`")
    parser.add_argument(
        "--confirm",
        metavar="PHRASE",
        help=f'approve without a prompt: must be exactly "{CONFIRM_PHRASE}"',
    )
    parser.add_argument(
        "--message", "-m", metavar="MSG", help="the commit message, used as every PR's title"
    )
    parser.add_argument(
        "--parallelism",
        type=setting_flag("parallelism"),
        default=DEFAULT_PARALLELISM,
        metavar="N",
        help=f"repos worked on at once, 1-64 (default {DEFAULT_PARALLELISM})",
    )
    parser.add_argument(
        "--max-prs",
        type=_non_negative,
        metavar="N",
        help="open at most N PRs in this run; the rest stay pending for a rerun",
    )
    parser.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 0 when the plan is concluded (everything written, recorded, stale or "
        "refused, as the journal now says), 2 when actions are left for a rerun, 1 on an error "
        "that left no record",
    )
    parser.add_argument(
        "--lock-timeout",
        type=_seconds,
        default=0.0,
        metavar="SECONDS",
        help="wait this long for another apply of the same plan to finish (default: fail at once)",
    )


# --- Output ---------------------------------------------------------------------------------------


class _Output:
    """Human text on one console, NDJSON on stdout with `--json`; shared with worker threads."""

    def __init__(self, app: App, *, json_mode: bool) -> None:
        self.json_mode = json_mode
        self.console: Console = app.err_console if json_mode else app.console
        self._stdout = app.console
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def human(self) -> Iterator[Console]:
        """The console for people, held alone (workers report progress concurrently)."""
        with self._lock:
            yield self.console

    def emit(self, message: dict[str, Any]) -> None:
        if not self.json_mode:
            return
        line = json.dumps(message, sort_keys=True, ensure_ascii=False)
        with self._lock:
            # Raw lines: rich would wrap or style them.
            self._stdout.file.write(line + "\n")
            self._stdout.file.flush()


def _on_event(out: _Output) -> Callable[[ApplyEvent], None]:
    def handle(event: ApplyEvent) -> None:
        out.emit(apply_view.event_message(event))
        with out.human() as console:
            apply_view.render_event(event, console)

    return handle


# --- Confirmation ---------------------------------------------------------------------------------


def default_terminal(console: Console) -> Terminal:
    return Terminal(is_interactive=sys.stdin.isatty, read_line=lambda p: console.input(p))


def confirm(args: argparse.Namespace, terminal: Terminal, out: _Output) -> str:
    """The approved PR title, or `ConfirmationError` (nothing has been written yet)."""
    interactive = terminal.is_interactive()
    message = (args.message or "").strip()
    if args.confirm is not None:
        if args.confirm != CONFIRM_PHRASE:
            raise ConfirmationError(
                f'--confirm must be exactly "{CONFIRM_PHRASE}" (got {args.confirm!r}); '
                "nothing was opened"
            )
    elif not interactive:
        raise ConfirmationError(
            "no terminal to confirm at, so nothing was opened",
            hint=f'To approve without a terminal pass --confirm "{CONFIRM_PHRASE}" --message MSG.',
        )
    else:
        with out.human() as console:
            apply_view.render_approval_request(CONFIRM_PHRASE, console)
        try:
            phrase = terminal.read_line("Approval: ")
        except EOFError:
            phrase = ""
        if phrase.strip() != CONFIRM_PHRASE:
            raise ConfirmationError("apply cancelled: the approval phrase was not typed")
    if not message and interactive:
        try:
            message = terminal.read_line("Commit message (PR title): ").strip()
        except EOFError:
            message = ""
    if not message:
        raise ConfirmationError(
            "a non-empty commit message is required (it is every PR's title); nothing was opened",
            hint="Pass --message MSG.",
        )
    return message


# --- The command ---------------------------------------------------------------------------------


def _require_token(config: Config) -> None:
    """A real Hub needs a write token; a local one (local:PATH or loopback) never does."""
    if is_rehearsal_endpoint(config.endpoint_input):
        return
    if config.token:
        return
    from huggingface_hub import get_token  # a saved `hf auth login` token counts too

    if get_token():
        return
    raise UserError(
        f"opening PRs on {config.endpoint_input} needs a Hugging Face token with write access",
        hint=(
            "Log in with `hf auth login` or set HF_TOKEN to a write token "
            "(https://huggingface.co/settings/tokens)."
        ),
    )


def run(args: argparse.Namespace, app: App, *, terminal: Terminal | None = None) -> int:
    out = _Output(app, json_mode=args.format == "json")
    out.emit(apply_view.version_message())
    plan_path: Path = args.plan
    plan = read_any_plan(plan_path)
    config = app.config()
    ended = concluded(read_journal(journal_path(plan_path)), plan.digest)
    if ended is not None:
        with out.human() as console:
            apply_view.render_concluded(ended, console)
        out.emit(apply_view.concluded_message(ended))
        return 0
    if isinstance(plan, ImportPlan):
        return _run_import(args, app, plan, terminal, out)
    try:
        check_endpoint(plan, config.endpoint_input, source=str(plan_path))
        check_publishable(plan, config.endpoint_input, source=str(plan_path))
    except PlanFileError as exc:
        return _refused_as_a_whole(args, app, plan, plan_path, exc)
    _require_token(config)
    if not plan.has_changes:
        with out.human() as console:
            apply_view.render_nothing_planned(console)
        return 0
    terminal = terminal or default_terminal(out.console)
    with acquire_lock(config.cache_dir, plan.digest, timeout=args.lock_timeout) as lock:
        if lock.taken_over is not None:
            with out.human() as console:
                apply_view.render_lock_takeover(lock.taken_over, console)
        with open_hub(config) as hub:
            registry = configured_registry(config)
            try:
                check_registry(plan, registry)
            except PlanFileError as exc:
                return _refused_as_a_whole(args, app, plan, plan_path, exc)
            preview = prepare_apply(
                hub, plan, plan_path, registry=registry, parallelism=args.parallelism
            )
            if hub_unreachable(preview):
                raise unreachable(ConnectionError(preview.checks[0].error), config.endpoint_input)
            with out.human() as console:
                apply_view.render_preview(preview, console)
            out.emit(apply_view.preview_message(preview))
            if not preview.needs_approval:
                return _finish_without_writing(args, out, preview)
            message = confirm(args, terminal, out)
            options = ApplyOptions(
                message=message,
                parallelism=args.parallelism,
                max_prs=args.max_prs,
                max_writes_per_hour=config.max_writes_per_hour,
                lock_dir=config.cache_dir / "repo-locks",
                contact=config.apply_contact,
            )
            report = apply_plan(hub, preview, options, on_event=_on_event(out))
    return _summarize(args, out, report, plan_path)


def _refused_as_a_whole(
    args: argparse.Namespace, app: App, plan: Plan | ImportPlan, plan_path: Path, exc: UserError
) -> int:
    """Journal the refusal (the plan is concluded: a new plan supersedes it), then fail as
    before, or under `--detailed-exitcode` say it and exit 0: the outcome is recorded."""
    record_refused(plan.digest, plan_path, str(exc))
    if not args.detailed_exitcode:
        raise exc
    app.err_console.print(f"Refused: {exc}", markup=False, highlight=False, soft_wrap=True)
    if exc.hint:
        app.err_console.print(exc.hint, markup=False, highlight=False, soft_wrap=True)
    return 0


def _run_import(
    args: argparse.Namespace,
    app: App,
    plan: ImportPlan,
    terminal: Terminal | None,
    out: _Output,
) -> int:
    """An import plan: one PR on the datastore repo (or a commit to our open import PR), one
    action (`import`) in the `--json` events."""
    plan_path: Path = args.plan
    config = app.config()
    if plan.inputs.endpoint.rstrip("/") != config.endpoint_input.rstrip("/"):
        wrong_hub = UserError(
            f"{plan_path} was made for {plan.inputs.endpoint}, not {config.endpoint_input}",
            hint="Apply it with the endpoint it was made for, or re-run `eeesync import`.",
        )
        return _refused_as_a_whole(args, app, plan, plan_path, wrong_hub)
    _require_token(config)
    registry = configured_registry(config)
    problems = check_import_plan(plan, registry)
    if problems:
        shown = "; ".join(problems[:5]) + (
            f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        )
        refused = UserError(f"{plan_path}: refused, nothing was written: {shown}")
        return _refused_as_a_whole(args, app, plan, plan_path, refused)
    if not plan.has_changes:
        with out.human() as console:
            console.print("Nothing to import: the plan has no new record.")
        out.emit(apply_view.summary_message({}))
        return 0
    with out.human() as console:
        ready = plan.counts.get(ImportStatus.READY)
        target = (
            f"a commit to our open import PR #{plan.inputs.import_pr}"
            if plan.inputs.import_pr
            else "one new pull request"
        )
        console.print(
            f"Will write {plural(len(plan.records), 'EEE record')} with "
            f"{plural(ready, 'score')} to {plan.inputs.datastore_repo} as {target}.",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    terminal = terminal or default_terminal(out.console)
    with acquire_lock(config.cache_dir, plan.digest, timeout=args.lock_timeout) as lock:
        if lock.taken_over is not None:
            with out.human() as console:
                apply_view.render_lock_takeover(lock.taken_over, console)
        message = confirm(args, terminal, out)
        out.emit(
            apply_view.event_message(
                ApplyEvent("apply_start", plan.inputs.datastore_repo, ACTION_ID)
            )
        )
        with open_hub(config) as hub:
            pace = WritePace(config.max_writes_per_hour)
            result = submit(hub, plan, plan_path, message=message, pace=pace)
    ended = result.action_result(plan)
    out.emit(apply_view.event_message(ApplyEvent.finished(ended)))
    with out.human() as console:
        console.print(_import_outcome(result), markup=False, highlight=False, soft_wrap=True)
    out.emit(apply_view.summary_message({ended.state: 1}))
    return _exit_code(args, left=result.left, ok=result.state.info.ok)


def _import_outcome(result: SubmitResult) -> str:
    where = f" {result.pr_url}" if result.pr_url else ""
    return {
        Outcome.OPENED: f"Opened{where} with {plural(result.records, 'record')}.",
        Outcome.UPDATED: f"Added {plural(result.records, 'record')} to our import PR{where}.",
        Outcome.ALREADY_DONE: f"Already applied ({result.message}):{where or ' nothing to write'}.",
        Outcome.ADOPTED: f"Already applied ({result.message}):{where}.",
        Outcome.STALE: f"Stale: {result.message}. Re-run `eeesync import`.",
        Outcome.FAILED: f"Failed, nothing was recorded as written: {result.message}",
    }.get(result.state, result.message)


def _finish_without_writing(args: argparse.Namespace, out: _Output, preview: Preview) -> int:
    record_without_writing(preview)
    with out.human() as console:
        apply_view.render_nothing_to_open(preview, console)
    out.emit(apply_view.nothing_to_open_message(preview))
    return _exit_code(
        args,
        left=bool(preview.in_state(Outcome.FAILED)),
        ok=all(c.state.info.ok for c in preview.checks),
    )


def _summarize(args: argparse.Namespace, out: _Output, report: ApplyReport, plan_path: Path) -> int:
    with out.human() as console:
        apply_view.render_report(report, console, plan_path=plan_path)
    out.emit(apply_view.report_message(report))
    if report.interrupted:
        return EXIT_INTERRUPTED
    left = report.of(Outcome.PENDING) or report.of(Outcome.FAILED)
    return _exit_code(args, left=bool(left), ok=report.ok)


def _exit_code(args: argparse.Namespace, *, left: bool, ok: bool) -> int:
    """How an apply run that reached its journal's `end` line exits (a sync or an import
    plan's): with `--detailed-exitcode` 2 when actions are left for a rerun, else 0 (the end
    is recorded, stale and refused included); without it 1 unless everything went through."""
    if args.detailed_exitcode:
        return EXIT_LEFT if left else 0
    return 0 if ok else 1
