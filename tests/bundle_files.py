"""Reading the bundle as the tests need it: its YAML files, each job's parameters, and what a notebook calls."""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

ROOT = Path(__file__).parent.parent
BUNDLE_ROOT_FILE = ROOT / "databricks.yml"
RESOURCE_DIR = ROOT / "resources" / "alerting"
NOTEBOOK_DIR = ROOT / "notebooks" / "alerting"
ORCHESTRATOR = "alerting_setup_orchestrator_job"
ATOMIC_JOBS = (
    "alerting_tables_job",
    "alerting_import_job",
    "alerting_seed_job",
    "alerting_notifications_job",
    "alerting_validation_job",
    "alerting_deploy_job",
)
#: Values a deployment passes with ``--var`` (the bundle declares no default for them).
DEPLOY_VARIABLES = {"warehouse_id": "0123456789abcdef"}
#: What the CLI fills in for a developer deploying the dev target.
WORKSPACE_VALUES = {
    "workspace.root_path": "/Workspace/Users/dev@example.com/.bundle/lakealerts/dev",
    "workspace.file_path": "/Workspace/Users/dev@example.com/.bundle/lakealerts/dev/files",
}
#: The folders of rule and destination files the bundle ships (synced to ``${workspace.file_path}``).
SHIPPED_FOLDERS = ("rules", "destinations")
_REFERENCE = re.compile(r"\$\{((?:var|workspace|bundle)\.[A-Za-z0-9_.-]+)\}")


def bundle_files() -> list[Path]:
    """databricks.yml and every file it includes."""
    return [BUNDLE_ROOT_FILE, *sorted(RESOURCE_DIR.glob("*.yml"))]


@cache
def load(path: Path) -> Any:
    """One YAML file."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@cache
def jobs() -> dict[str, tuple[Path, dict[str, Any]]]:
    """Job key -> (the file defining it, its settings), over all resource files."""
    found: dict[str, tuple[Path, dict[str, Any]]] = {}
    for path in sorted(RESOURCE_DIR.glob("*.yml")):
        for key, job in load(path).get("resources", {}).get("jobs", {}).items():
            assert key not in found, f"job {key} is defined twice"
            found[key] = (path, job)
    return found


def variables(target: str | None = None) -> dict[str, str]:
    """Each bundle variable's value: its default, the target's override, then what a deployment passes."""
    root = load(BUNDLE_ROOT_FILE)
    values = {name: str(spec.get("default", "")) for name, spec in root["variables"].items()}
    if target:
        values.update({k: str(v) for k, v in (root["targets"][target].get("variables") or {}).items()})
    values.update(DEPLOY_VARIABLES)
    return values


def resolve(text: str, values: dict[str, str]) -> str:
    """``text`` with ``${var.x}`` and ``${workspace.x}`` resolved (KeyError for an unknown name)."""
    known = {**{f"var.{name}": value for name, value in values.items()}, **WORKSPACE_VALUES}
    for _ in range(5):  # a variable's value may refer to another one
        text = _REFERENCE.sub(lambda match: known[match.group(1)], text)
    return text


def job_parameters(job: str, target: str | None = None) -> dict[str, str]:
    """The parameters the job passes to its notebook (its job parameters with variables resolved)."""
    values = variables(target)
    return {p["name"]: resolve(str(p["default"]), values) for p in jobs()[job][1].get("parameters", [])}


def local_copy(workspace_path: str) -> Path:
    """The repository file that ``bundle deploy`` syncs to ``workspace_path`` (under ``${workspace.file_path}``)."""
    files = WORKSPACE_VALUES["workspace.file_path"]
    assert workspace_path.startswith(files + "/"), f"{workspace_path} is not a file the bundle syncs"
    return ROOT / workspace_path.removeprefix(files + "/")


def notebook_of(job: str) -> Path:
    """The notebook file of an atomic job's only task, resolved relative to the job's file."""
    path, settings = jobs()[job]
    (task,) = settings["tasks"]
    return (path.parent / task["notebook_task"]["notebook_path"]).resolve()


@dataclass(frozen=True)
class NotebookCall:
    """What a notebook does: the widgets it declares and the one ``lakealerts.bundle.jobs`` call it makes."""

    widgets: tuple[str, ...]
    function: str
    keywords: tuple[str, ...]


def notebook_call(path: Path) -> NotebookCall:
    """Parse a notebook's Python and find its widgets and its library call."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    widgets = tuple(
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and _dotted(node.func) in ("dbutils.widgets.text", "dbutils.widgets.dropdown")
        and isinstance(node.args[0], ast.Constant)
    )
    imported = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "lakealerts.bundle.jobs"
        for alias in node.names
    }
    calls = [
        node for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        and node.func.id in imported
    ]  # fmt: skip
    assert len(calls) == 1, f"{path.name} must make exactly one lakealerts.bundle.jobs call, found {len(calls)}"
    call = calls[0]
    assert isinstance(call.func, ast.Name)
    return NotebookCall(widgets, call.func.id, tuple(k.arg for k in call.keywords if k.arg))


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


# --- the bundle schema -------------------------------------------------------------------------------------

# A copy of the official schema (databricks/cli bundle/schema/jsonschema.json, see its README) kept in the
# repository, so the tests run in any checkout.
SCHEMA_PATH = ROOT / "tests" / "fixtures" / "reference" / "databricks-bundle-schema.json"
ALERT_DEFINITION = "#/$defs/github.com/databricks/cli/bundle/config/resources.Alert"
# Unicode classes Python's `re` lacks, as `re` classes with the same meaning (letters; letters or digits).
_UNICODE_CLASSES = ((r"[\p{L}\p{N}]", r"[^\W_]"), (r"\p{L}", r"[^\W\d_]"), (r"\p{N}", r"\d"))


@cache
def bundle_schema() -> dict[str, Any]:
    """The reference schema with its ``\\p{L}`` / ``\\p{N}`` patterns translated for Python's ``re``."""
    text = SCHEMA_PATH.read_text(encoding="utf-8")
    for unicode_class, python_class in _UNICODE_CLASSES:
        text = text.replace(unicode_class.replace("\\", "\\\\"), python_class.replace("\\", "\\\\"))
    assert "\\\\p{" not in text, "a \\p{…} class is left untranslated"
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def schema_errors(document: Any, ref: str | None = None) -> list[str]:
    """Every schema violation of ``document`` (against the whole bundle, or the definition at ``ref``)."""
    schema = bundle_schema()
    target = {"$ref": ref, "$defs": schema["$defs"]} if ref else schema
    errors = Draft202012Validator(target).iter_errors(document)
    found = [_cause(error) for error in errors]
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message[:300]}" for e in found]


def _cause(error: ValidationError) -> ValidationError:
    """A oneOf failure says only "not valid under any of the given schemas"; the deepest cause says why.

    (Every definition is "an object, or a ${var.…} string": the string branch's complaint is never the cause.)
    """
    while error.context:
        error = max(error.context, key=lambda e: (len(e.absolute_path), e.validator not in ("type", "pattern")))
    return error
