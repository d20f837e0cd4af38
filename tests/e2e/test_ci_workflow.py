"""The CI recipe (`examples/ci/eeesync.yml`) runs as written, and names only what the CLI has.

The workflow's eeesync commands are parsed out of the file (so it cannot drift from the CLI),
their GitHub expressions and shell variables replaced with test values, and run in order
through the real entry point against a seeded local Hub, in a git repository like the one the
workflow runs in: plan (exit 2) → commit the plan → markdown under the size limit → apply of
the committed plan → journal committed → re-plan (exit 0: nothing to open).
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest
import yaml
from huggingface_hub import CommitOperationDelete, HfApi
from huggingface_hub.community import DiscussionComment

from eeesync.apply.journal import Event, journal_path, read_journal
from eeesync.cli.main import COMMANDS, build_parser, main
from eeesync.localhub import LocalHub
from eeesync.localhub.ratelimit import WRITE_ROUTES
from eeesync.plan.file import read_plan
from eeesync.views.common import summary_line
from tests.helpers import (
    mmlu_overall_record,
    scenario_records,
    seed_scenario_hub,
    write_datastore,
)

WORKFLOW = Path(__file__).parents[2] / "examples" / "ci" / "eeesync.yml"

#: What GitHub would put in each `${{ … }}` the workflow uses (an unknown one fails the test).
EXPRESSIONS = {
    "github.repository": "evaleval/eee-sync",
    "secrets.HF_TOKEN": "hf_test_token_never_printed",
    "github.token": "gh-test-token",
    "github.run_id": "101",
}
PR_REF = "evaleval/eee-sync#7"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
SHELL_VAR = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


# --- Reading the workflow ----------------------------------------------------------------------


@attrs.frozen
class Command:
    """One eeesync command line of the workflow, where it is, and what it runs with."""

    job: str
    step: str
    line: str  # as written, `${{ … }}` and `$VARS` included
    env: Mapping[str, str]  # workflow + job + step `env:`, expressions unresolved


def load_workflow() -> dict[Any, Any]:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def triggers(workflow: Mapping[Any, Any]) -> Mapping[str, Any]:
    # YAML 1.1 reads the key `on` as the boolean True.
    found = workflow.get("on", workflow.get(True))
    assert isinstance(found, dict)
    return found


def commands(workflow: Mapping[Any, Any], job: str) -> list[Command]:
    found = []
    spec = workflow["jobs"][job]
    for step in spec["steps"]:
        for line in str(step.get("run", "")).splitlines():
            if re.match(r"\s*eeesync\s", line):
                env = {**workflow.get("env", {}), **spec.get("env", {}), **step.get("env", {})}
                found.append(
                    Command(
                        job,
                        step.get("name", "?"),
                        line.strip(),
                        {k: str(v) for k, v in env.items()},
                    )
                )
    return found


def expand(text: str, variables: Mapping[str, str], expressions: Mapping[str, str]) -> str:
    """GitHub expressions first (as the runner does before the shell), then shell variables."""

    def expression(match: re.Match[str]) -> str:
        assert match.group(1) in expressions, f"no test value for ${{{{ {match.group(1)} }}}}"
        return expressions[match.group(1)]

    def variable(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        assert name in variables, f"shell variable ${name} has no test value"
        return variables[name]

    return SHELL_VAR.sub(variable, EXPRESSION.sub(expression, text))


@attrs.frozen
class Invocation:
    argv: list[str]
    stdout_to: str | None
    env: dict[str, str]


def invocation(command: Command, extra: Mapping[str, str], run_id: str = "101") -> Invocation:
    """The argv, the `> FILE` redirection and the environment of one command line."""
    expressions = {**EXPRESSIONS, "github.run_id": run_id}
    env = {name: expand(value, {}, expressions) for name, value in command.env.items()}
    assert "$(" not in command.line, f"keep command substitution out of eeesync lines: {command}"
    words = shlex.split(expand(command.line, {**env, **extra}, expressions))
    for stop in ("||", "&&", ";"):
        if stop in words:
            words = words[: words.index(stop)]
    stdout_to = None
    if ">" in words:
        at = words.index(">")
        words, stdout_to = words[:at], words[at + 1]
    assert words[0] == "eeesync", command
    return Invocation(words[1:], stdout_to, env)


def subcommand_parsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(actions[0].choices)


# --- The file itself ----------------------------------------------------------------------------


def test_workflow_is_valid_and_names_only_what_the_cli_has() -> None:
    workflow = load_workflow()
    on = triggers(workflow)
    assert {"schedule", "workflow_dispatch", "push"} <= set(on)
    assert "plans/*.plan.json" in on["push"]["paths"]
    # Two applies never run at once, and a running one is never cancelled.
    assert (
        workflow["concurrency"]["group"] and workflow["concurrency"]["cancel-in-progress"] is False
    )
    # Actions pinned to a full commit sha.
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+(/[\w.-]+)*@[0-9a-f]{40}", step["uses"]), step[
                    "uses"
                ]

    # eeesync is not on a package index: both jobs install the one pinned git spec the
    # maintainers set, and refuse the placeholder instead of failing somewhere inside pip.
    spec = workflow["env"]["EEESYNC_SPEC"]
    assert re.fullmatch(r"git\+https://\S+@\S+", spec) and "==" not in spec
    for job in ("plan", "apply"):
        (install,) = [
            s["run"] for s in workflow["jobs"][job]["steps"] if "pip install" in s.get("run", "")
        ]
        assert 'pip install "$EEESYNC_SPEC"' in install and spec.split("/", 3)[3] in install

    parsers = subcommand_parsers()
    found = commands(workflow, "plan") + commands(workflow, "apply")
    assert [c.line.split()[1] for c in found] == ["plan", "show", "apply"]
    for command in found:
        argv = invocation(
            command,
            {
                "PLAN": "plans/x.plan.json",
                "PLAN_URL": "https://x/y",
                "RUNNER_TEMP": "/tmp",
                "PR_REF": PR_REF,
            },
        ).argv
        assert argv[0] in COMMANDS, command
        options = {o for a in parsers[argv[0]]._actions for o in a.option_strings}
        flags = {w.split("=")[0] for w in argv[1:] if w.startswith("-")}
        assert flags <= options, f"{command.line}: unknown flags {flags - options}"
        build_parser().parse_args(argv)  # exits (fails the test) on anything it does not accept

    by_name = {c.line.split()[1]: c for c in found}
    assert "--detailed-exitcode" in by_name["plan"].line
    assert re.search(r"--format markdown --max-bytes \S+", by_name["show"].line)
    assert '--confirm "OPEN PRS"' in by_name["apply"].line and "$PR_REF" in by_name["apply"].line
    # A recorded outcome (stale, refused, nothing left) is no failure; writes are capped.
    assert "--detailed-exitcode" in by_name["apply"].line
    assert '--max-prs "$MAX_PRS"' in by_name["apply"].line and int(workflow["env"]["MAX_PRS"]) > 0


def test_the_apply_job_takes_the_newest_plan_the_plan_job_wrote() -> None:
    """Only the plan job's own plans (`plans/eee-<run id>.plan.json`, newest by run id): an
    import plan or a hand-made plan in plans/ is never applied by the recipe."""
    workflow = load_workflow()
    (find,) = [
        s for s in workflow["jobs"]["apply"]["steps"] if s.get("name") == "Find the plan to apply"
    ]
    plan_step = next(s for s in workflow["jobs"]["plan"]["steps"] if s.get("name") == "Plan")
    assert plan_step["env"]["PLAN"] == "plans/eee-${{ github.run_id }}.plan.json"
    assert "ls plans/eee-*.plan.json" in find["run"] and "sort -V | tail -n 1" in find["run"]


def test_each_job_gets_only_the_permissions_it_needs_and_no_persisted_credentials() -> None:
    workflow = load_workflow()
    assert workflow["permissions"] == {}
    jobs = workflow["jobs"]
    assert jobs["apply"]["permissions"] == {"contents": "write", "pull-requests": "read"}
    assert jobs["plan"]["permissions"] == {"contents": "write", "pull-requests": "write"}
    for job in jobs.values():
        for step in job["steps"]:
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False


def test_zizmor_finds_nothing_in_the_workflow() -> None:
    """`zizmor --offline` (a test dependency) passes the recipe clean: no workflow-level write
    permissions, no persisted checkout credentials, pinned actions, no template injection."""
    here = Path(sys.executable).parent
    zizmor = shutil.which("zizmor", path=f"{here}{os.pathsep}{os.environ.get('PATH', '')}")
    assert zizmor, "zizmor is a test dependency: pip install -e '.[test]'"
    done = subprocess.run(
        [zizmor, "--offline", "--no-progress", str(WORKFLOW)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_plan_cache_survives_an_interrupted_plan() -> None:
    """`.eeesync/` is restored before the plan and saved even when the plan step failed or ran
    out of time (its own timeout leaves the job time to save), so the next run resumes."""
    steps = load_workflow()["jobs"]["plan"]["steps"]
    names = [str(s.get("uses", "")).split("@")[0] or s.get("name") for s in steps]
    restore, plan = names.index("actions/cache/restore"), names.index("Plan")
    save = names.index("actions/cache/save")
    assert restore < plan < save
    assert steps[restore]["with"]["path"] == steps[save]["with"]["path"] == ".eeesync"
    assert steps[save]["if"] == "always()"
    assert steps[plan]["timeout-minutes"] < load_workflow()["jobs"]["plan"]["timeout-minutes"]


def test_the_token_comes_from_a_secret_and_is_never_echoed() -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    workflow = load_workflow()
    uses = [m.start() for m in re.finditer(r"secrets\.HF_TOKEN", text)]
    assert uses, "the token comes from the HF_TOKEN repository secret"
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            script = str(step.get("run", ""))
            assert "secrets." not in script  # only through `env:`, never pasted into a script
            assert "HF_TOKEN" not in script
            for value in step.get("env", {}).values():
                if "secrets.HF_TOKEN" in str(value):
                    assert str(value).strip() == "${{ secrets.HF_TOKEN }}"


# --- The loop, run --------------------------------------------------------------------------------


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


def run(inv: Invocation, repo: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(inv.argv, env=inv.env)
    out, err = capsys.readouterr()
    assert "hf_test_token" not in out + err  # never printed
    if inv.stdout_to is not None:
        target = Path(inv.stdout_to)
        (target if target.is_absolute() else repo / target).write_text(out, encoding="utf-8")
    return code, out


@pytest.fixture
def repo(tmp_path: Path, localhub: LocalHub, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The repository the workflow runs in: eeesync.toml, a folder datastore, git; a seeded Hub."""
    root = tmp_path / "repo"
    write_datastore(root / "datastore", {"mmlu": scenario_records()})
    seed_scenario_hub(HfApi(endpoint=localhub.url, token="seed-token"))
    (root / "eeesync.toml").write_text(
        '[datastore]\nlocator = "datastore"\ncollections = ["mmlu"]\n'
        f'[hub]\nendpoint = "{localhub.url}"\n[sync]\ncheck_tasks = false\n',
        encoding="utf-8",
    )
    (root / ".gitignore").write_text(".eeesync/\n", encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "ci@example.org")
    git(root, "config", "user.name", "ci")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "datastore and config")
    monkeypatch.chdir(root)
    return root


def test_the_workflow_loop_against_the_local_hub(
    repo: Path, localhub: LocalHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workflow = load_workflow()
    plan_cmd, show_cmd = commands(workflow, "plan")
    (apply_cmd,) = commands(workflow, "apply")
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()

    # 1. The scheduled run: plan, exit 2 (PRs to open) so a PR is opened.
    plan_inv = invocation(plan_cmd, {"RUNNER_TEMP": str(runner_temp)}, run_id="101")
    code, out = run(plan_inv, repo, capsys)
    assert code == 2, out
    plan_path = repo / plan_inv.env["PLAN"]
    plan = read_plan(plan_path)
    assert plan.counts.prs_to_open == 3

    # The plan is committed (on the PR branch; merging brings it to main unchanged).
    git(repo, "add", "--", plan_inv.env["PLAN"])
    git(repo, "commit", "-qm", "eeesync plan")
    head = git(repo, "rev-parse", "HEAD").strip()

    # 2. The PR description: the plan as markdown within the limit, linking the full file.
    plan_url = f"https://github.com/evaleval/eee-sync/blob/{head}/{plan_inv.env['PLAN']}"
    extra = {"PLAN_URL": plan_url, "RUNNER_TEMP": str(runner_temp)}
    show_inv = invocation(show_cmd, extra)
    assert show_inv.stdout_to is not None
    code, _ = run(show_inv, repo, capsys)
    body = Path(show_inv.stdout_to).read_text(encoding="utf-8")
    limit = int(workflow["env"]["MAX_BYTES"])
    assert code == 0 and 0 < len(body.encode("utf-8")) <= limit
    assert summary_line(plan) in body.replace("\\", "")
    # A description too big for the limit keeps its tables and links the full plan.
    small = attrs.evolve(
        show_inv,
        argv=[
            *show_inv.argv[: show_inv.argv.index("--max-bytes") + 1],
            str(len(body.encode()) - 1),
            *show_inv.argv[show_inv.argv.index("--max-bytes") + 2 :],
        ],
    )
    code, trimmed = run(attrs.evolve(small, stdout_to=None), repo, capsys)
    assert code == 0 and len(trimmed.encode()) < len(body.encode())
    assert "not shown; full plan:" in trimmed and f"(<{plan_url}>)" in trimmed

    # 3. The merge: apply exactly the committed plan (it has no journal yet), naming the PR.
    assert not journal_path(plan_path).exists()
    assert git(repo, "status", "--porcelain") == ""  # what apply reads is what was committed
    apply_inv = invocation(
        apply_cmd,
        {"PLAN": plan_inv.env["PLAN"], "PR_REF": PR_REF, "RUNNER_TEMP": str(runner_temp)},
    )
    code, out = run(apply_inv, repo, capsys)
    assert code == 0, out
    api = HfApi(endpoint=localhub.url)
    titles = {
        d.title
        for r in plan.repos
        if r.opens_pr
        for d in api.get_repo_discussions(r.repo_id, discussion_type="pull_request")
    }
    assert titles == {f"Add Every Eval Ever results (plan reviewed in {PR_REF})"}

    # The journal is committed back: the tree is clean and git tracks it.
    assert journal_path(plan_path).exists()
    git(repo, "add", "--all", "--", "plans/")
    git(repo, "commit", "-qm", "eeesync: apply journal")
    assert git(repo, "status", "--porcelain") == ""
    tracked = git(repo, "ls-files", "plans/").split()
    assert f"plans/{journal_path(plan_path).name}" in tracked

    # 4. The plan job after the apply: nothing to open, so no PR.
    code, out = run(
        invocation(plan_cmd, {"RUNNER_TEMP": str(runner_temp)}, run_id="102"), repo, capsys
    )
    assert code == 0, out
    assert "Nothing to open" in out

    # 5. The next night's apply job: the plan is concluded, nothing is read or written.
    code, out = run(apply_inv, repo, capsys)
    assert code == 0 and "nothing left to apply" in out, out


# --- Night after night, without a person ----------------------------------------------------------


@attrs.frozen
class Nights:
    """The recipe's commands with test values, run the way the workflow runs them."""

    repo: Path
    capsys: pytest.CaptureFixture[str]
    runner_temp: Path

    def plan(self, run_id: str) -> tuple[int, Path]:
        (plan_cmd, _show) = commands(load_workflow(), "plan")
        inv = invocation(plan_cmd, {"RUNNER_TEMP": str(self.runner_temp)}, run_id=run_id)
        code, out = run(inv, self.repo, self.capsys)
        assert code in (0, 2), out
        path = self.repo / inv.env["PLAN"]
        if code == 2:  # the reviewer merges the plan PR
            git(self.repo, "add", "--", inv.env["PLAN"])
            git(self.repo, "commit", "-qm", "eeesync plan")
        return code, path

    def apply(self, plan: Path, **extra: str) -> tuple[int, str]:
        (apply_cmd,) = commands(load_workflow(), "apply")
        values = {"PLAN": str(plan.relative_to(self.repo)), "PR_REF": PR_REF}
        values["RUNNER_TEMP"] = str(self.runner_temp)
        code, out = run(invocation(apply_cmd, {**values, **extra}), self.repo, self.capsys)
        git(self.repo, "add", "--all", "--", "plans/")  # the journal commit step
        staged = subprocess.run(["git", "-C", str(self.repo), "diff", "--cached", "--quiet"])
        if staged.returncode:
            git(self.repo, "commit", "-qm", "eeesync: apply journal")
        return code, out


@pytest.fixture
def nights(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Nights:
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    return Nights(repo, capsys, runner_temp)


def _ends(plan: Path) -> list[tuple[str, int]]:
    return [(str(r.end), r.left) for r in read_journal(journal_path(plan)) if r.event is Event.END]


def test_a_plan_whose_repos_all_went_stale_is_recorded_and_superseded(
    nights: Nights, localhub: LocalHub
) -> None:
    """Any owner commit to main makes a repo stale. Today the apply exits 1 with no journal,
    every night, and blocks the plan job; now the outcome is recorded, the apply job succeeds
    and moves past it, and the next plan supersedes it."""
    _, plan = nights.plan("201")
    api = HfApi(endpoint=localhub.url, token="seed-token")
    for repo in read_plan(plan).repos:
        if repo.opens_pr:
            api.upload_file(path_or_fileobj=b"hi", path_in_repo="README.md", repo_id=repo.repo_id)
    code, out = nights.apply(plan)
    assert code == 0, out
    assert _ends(plan) == [("finished", 0)]
    outcomes = [r.outcome for r in read_journal(journal_path(plan)) if r.event is Event.SKIP]
    assert outcomes == ["stale"] * 3
    # The next night: the apply job moves past it; the plan job makes the plan that supersedes.
    code, out = nights.apply(plan)
    assert code == 0 and "nothing left to apply" in out
    code, newer = nights.plan("202")
    assert code == 2
    code, out = nights.apply(newer)
    assert code == 0, out
    assert "3 opened" in out


def test_writes_are_capped_per_night_and_the_rest_is_carried_to_the_next(
    nights: Nights, localhub: LocalHub
) -> None:
    _, plan = nights.plan("301")
    code, out = nights.apply(plan, MAX_PRS="2")
    assert code == 2 and "2 opened" in out, out
    assert _ends(plan) == [("pending", 1)]
    code, out = nights.apply(plan, MAX_PRS="2")  # the next night goes on with what is left
    assert code == 0 and "1 opened" in out, out
    assert _ends(plan) == [("pending", 1), ("finished", 0)]
    api = HfApi(endpoint=localhub.url)
    opened = [
        d.num
        for r in read_plan(plan).repos
        if r.opens_pr
        for d in api.get_repo_discussions(r.repo_id, discussion_type="pull_request")
        if d.author == "local-user"
    ]
    assert len(opened) == 3  # one each, none twice


def test_a_plan_refused_as_a_whole_is_recorded_and_moved_past(
    nights: Nights, localhub: LocalHub, repo: Path
) -> None:
    _, plan = nights.plan("401")
    config = repo / "eeesync.toml"
    # Another Hub than the plan's (a moved endpoint): the whole plan is refused.
    config.write_text(
        config.read_text(encoding="utf-8").replace(localhub.url, "http://127.0.0.1:9"),
        encoding="utf-8",
    )
    code, _ = nights.apply(plan)
    assert code == 0
    assert [(o, n) for o, n in _ends(plan)] == [("refused", 0)]
    (end,) = [r for r in read_journal(journal_path(plan)) if r.event is Event.END]
    assert "made for the Hub at" in end.error
    code, out = nights.apply(plan)
    assert code == 0 and "refused as a whole by an earlier apply" in out


# --- Two nights on other people's repos (issue 20 §6) -------------------------------------------

OWNER_TOKEN = "owner-token"
MODELS = ("owner/a", "owner/b", "owner/c", "owner/d", "owner/e")


@pytest.fixture
def owners_hub(tmp_path: Path) -> Iterator[LocalHub]:
    """The repos belong to `owner`; the recipe's HF_TOKEN secret is the `evaluator` account."""
    accounts = {EXPRESSIONS["secrets.HF_TOKEN"]: "evaluator", OWNER_TOKEN: "owner"}
    with LocalHub(tmp_path / "owners-hub", accounts=accounts) as hub:
        for model in MODELS:
            hub.storage.create_repo(model)
        yield hub


def _datastore(root: Path, scores: Mapping[str, float]) -> None:
    shutil.rmtree(root / "datastore", ignore_errors=True)
    records = [mmlu_overall_record(m, s) for m, s in sorted(scores.items())]
    write_datastore(root / "datastore", {"mmlu": records})
    git(root, "add", "--all", "--", "datastore")
    staged = subprocess.run(["git", "-C", str(root), "diff", "--cached", "--quiet"])
    if staged.returncode:
        git(root, "commit", "-qm", "datastore")


def test_two_nights_on_other_peoples_repos_then_a_quiet_third(
    tmp_path: Path,
    owners_hub: LocalHub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Night 1 opens a PR per repo. The owner closes one, merges one, merges another and then
    deletes that entry from main; one EEE record is corrected and one removed. Night 2 proposes
    nothing declined or removed again, updates the corrected entry in its PR (same number) and
    closes the removed record's PR with a comment. Night 3 changes nothing."""
    root = tmp_path / "repo"
    (root / ".gitignore").parent.mkdir(parents=True)
    (root / ".gitignore").write_text(".eeesync/\n", encoding="utf-8")
    (root / "eeesync.toml").write_text(
        '[datastore]\nlocator = "datastore"\ncollections = ["mmlu"]\n'
        f'[hub]\nendpoint = "{owners_hub.url}"\n[sync]\ncheck_tasks = false\n',
        encoding="utf-8",
    )
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "ci@example.org")
    git(root, "config", "user.name", "ci")
    scores = {m: 0.40 + i / 100 for i, m in enumerate(MODELS)}
    _datastore(root, scores)
    monkeypatch.chdir(root)
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    nights = Nights(root, capsys, runner_temp)
    owner = HfApi(endpoint=owners_hub.url, token=OWNER_TOKEN)

    def prs(repo: str) -> dict[int, str]:
        return {
            d.num: d.status
            for d in owner.get_repo_discussions(repo, discussion_type="pull_request")
        }

    # Night 1: the plan PR is merged, the apply job opens one PR per repo.
    code, plan1 = nights.plan("601")
    assert code == 2
    code, out = nights.apply(plan1)
    assert code == 0 and "5 opened" in out, out
    assert all(prs(m) == {1: "open"} for m in MODELS)

    # The owner decides; the datastore changes.
    owner.change_discussion_status("owner/a", 1, "closed", comment="No, thanks.")
    owner.merge_pull_request("owner/b", 1)
    owner.merge_pull_request("owner/c", 1)
    owner.create_commit(
        "owner/c", [CommitOperationDelete(".eval_results/mmlu_pro.yaml")], commit_message="rm"
    )
    scores["owner/d"] = 0.47  # a corrected record
    del scores["owner/e"]  # a removed record
    _datastore(root, scores)

    # Night 2: the apply job moves past the concluded plan; the plan job plans night 2.
    code, out = nights.apply(plan1)
    assert code == 0 and "nothing left to apply" in out, out
    code, plan2 = nights.plan("602")
    assert code == 2
    planned = read_plan(plan2)
    statuses = {r.repo_id: [e.status.value for e in r.entries] for r in planned.repos if r.entries}
    assert statuses == {
        "owner/a": ["declined"],
        "owner/b": ["already_present"],
        "owner/c": ["removed_by_author"],
        "owner/d": ["update_pr"],
        "owner/e": ["withdraw"],
    }
    code, out = nights.apply(plan2)
    assert code == 0, out
    assert prs("owner/a") == {1: "closed"} and prs("owner/c") == {1: "merged"}  # nothing new
    assert prs("owner/d") == {1: "open"}  # the same PR, now with the corrected value
    pr_file = owner.hf_hub_download(
        "owner/d", ".eval_results/mmlu_pro.yaml", revision="refs/pr/1", cache_dir=tmp_path / "dl"
    )
    assert "value: 47.0" in Path(pr_file).read_text(encoding="utf-8")
    assert prs("owner/e") == {1: "closed"}
    said = [
        e.content
        for e in owner.get_discussion_details("owner/e", 1).events[1:]
        if isinstance(e, DiscussionComment) and e.author == "evaluator"
    ]
    assert said and "no longer gives the results" in said[-1]

    # Night 3: nothing to apply, nothing written.
    owners_hub.reset_counters()
    code, out = nights.apply(plan2)
    assert code == 0 and "nothing left to apply" in out, out
    code, _ = nights.plan("603")
    assert code == 0
    assert not WRITE_ROUTES & set(owners_hub.counters()), owners_hub.counters()
