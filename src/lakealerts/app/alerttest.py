"""Use cases of ``lakealerts test`` (DESIGN §11): run test files, and write a starter file for a rule.

A file's rule set comes from ``catalog:ID`` (shipped; ``catalog:*`` all of them), a rule file relative to the
test file, or ``store:ID`` / ``store:*`` (the store is only read). Fixtures and destinations come from the test
file alone: a test runs the same on a fresh home and on one full of data. An unreadable or invalid file, or a
test naming a rule its file does not load, is a :class:`TestFileError` (exit 2) with ``file:line``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlglot import exp
from sqlglot.errors import SqlglotError

from lakealerts import catalog, quartz
from lakealerts.alerttest.report import TestReport, coverage_lines, coverage_of, junit_xml, text_lines
from lakealerts.alerttest.routing import run_routing, unknown_select_keys
from lakealerts.alerttest.runner import FileSetting, run_test
from lakealerts.alerttest.spec import NodePath, TestFile, TestFileError, line_of, parse_test_file
from lakealerts.alerttest.starter import referenced_columns, starter_text
from lakealerts.app.context import AppContext
from lakealerts.app.files import read_documents
from lakealerts.demo import DEMO_TABLES
from lakealerts.documents import parse_destinations, parse_rules
from lakealerts.errors import LakeAlertsError, NotFoundError, SetupError, UsageError
from lakealerts.model import AlertRule
from lakealerts.sql.identifiers import Namespace
from lakealerts.sql.render import render
from lakealerts.sql.rewrite import TableName

TEST_SUFFIX = ".test.yaml"
__all__ = ["TestReport", "coverage_lines", "init_test_file", "junit_xml", "run_tests", "test_files", "text_lines"]


@dataclass(frozen=True)
class TestOptions:
    """Which tests to run: ``patterns`` (regular expressions searched in test and routing names; none: all)."""

    patterns: Sequence[str] = ()


def test_files(paths: Sequence[Path]) -> list[Path]:
    """The files named, and every ``*.test.yaml`` under the directories named, in order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(path.rglob(f"*{TEST_SUFFIX}"))
        else:
            found.append(path)
    return found


def run_tests(app: AppContext, paths: Sequence[Path], options: TestOptions) -> TestReport:
    """Load every file first (any invalid one stops the run: exit 2), then run the selected tests and checks."""
    try:
        patterns = [re.compile(p) for p in options.patterns]
    except re.error as error:
        raise TestFileError(f"--run {error.pattern!r}: {error}", hint="give a Python regular expression") from None
    loaded = [_load(app, path) for path in test_files(paths)]
    report = TestReport(files=[setting.label for setting, _ in loaded])
    rule_ids: set[str] = set()
    for setting, spec in loaded:
        rule_ids.update(setting.rules)
        wanted = [t for t in spec.tests if _chosen(t.name, patterns)]
        report.tests += [run_test(test, setting) for test in wanted]
        checks = [c for c in spec.routing if _chosen(c.name, patterns)]
        report.routing += [
            run_routing(setting.label, c, list(setting.rules.values()), setting.destinations) for c in checks
        ]
    report.coverage = coverage_of(rule_ids, report.tests)
    return report


def _chosen(name: str, patterns: Sequence[re.Pattern[str]]) -> bool:
    return not patterns or any(p.search(name) for p in patterns)


def _load(app: AppContext, path: Path) -> tuple[FileSetting, TestFile]:
    label = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise TestFileError(
            f"cannot read {label}: {getattr(error, 'strerror', None) or error}",
            hint="check the path: a *.test.yaml file or a directory of them",
        ) from None
    spec, lines = parse_test_file(text, label)
    rules = _rule_set(app, spec, path, lines)
    for index, test in enumerate(spec.tests):
        if test.rule not in rules:
            where = line_of(lines, ("tests", index, "rule"))
            raise TestFileError(
                f"{label}:{where}: unknown rule {test.rule!r}: not in this file's rules",
                hint=f"add catalog:{test.rule}, store:{test.rule} or a rule file to `rules`",
            )
    for index, check in enumerate(spec.routing):
        unknown = unknown_select_keys(check)
        if unknown:
            where = line_of(lines, ("routing", index, "select"))
            raise TestFileError(
                f"{label}:{where}: routing.{index}.select: {unknown[0]!r} is not a rule field",
                hint="select by rule fields, e.g. severity or agent_domain",
            )
    defaults = {"owner": "lakealerts-test"}  # a fixture destination needs no name or owner
    named = [{**defaults, "destination_name": d.get("destination_id"), **d} for d in spec.destinations]
    destinations = parse_destinations(named)
    if destinations.problems:
        problem = destinations.problems[0]
        raise TestFileError(
            f"{label}:{line_of(lines, ('destinations',))}: destination {problem.rule_id}: "
            f"{problem.field}: {problem.message}",
            hint=problem.hint,
        )
    setting = FileSetting(
        label,
        path.parent,
        _namespace(app, spec, label, lines),
        spec.session_timezone,
        rules,
        {d.destination_id: d for d in destinations.valid},
        spec.fixtures,
    )
    return setting, spec


def _namespace(app: AppContext, spec: TestFile, label: str, lines: dict[NodePath, int]) -> Namespace:
    variables = [(name, _variable_text(value)) for name, value in spec.vars.items()]
    try:
        return Namespace.of(spec.catalog or app.settings.catalog, spec.schema_name or app.settings.schema, variables)
    except (LakeAlertsError, ValueError) as error:
        where = line_of(lines, ("vars",))
        raise TestFileError(f"{label}:{where}: {error}", hint="fix catalog, schema or vars") from None


def _variable_text(value: object) -> str:
    return ("TRUE" if value else "FALSE") if isinstance(value, bool) else str(value)


def _rule_set(app: AppContext, spec: TestFile, path: Path, lines: dict[NodePath, int]) -> dict[str, AlertRule]:
    rules: dict[str, AlertRule] = {}
    for index, source in enumerate(spec.rules):
        where = f"{path}:{line_of(lines, ('rules', index))}"
        for rule in _rules_from(app, source, path.parent, where):
            rules[rule.alert_id] = rule
    return rules


def _rules_from(app: AppContext, source: str, base: Path, where: str) -> list[AlertRule]:
    kind, _, name = source.partition(":")
    if kind == "catalog" and name:
        shipped = {rule.alert_id: rule for rule in catalog.load_rules(catalog.ALL_PACKS)}
        if name != "*" and name not in shipped:
            raise TestFileError(f"{where}: unknown rule {source!r}: not a pre-built rule", hint="see docs/catalog.md")
        return list(shipped.values()) if name == "*" else [shipped[name]]
    if kind == "store" and name:
        with app.store(read_only=True) as store:
            try:
                return [s.rule for s in store.load_rules(None if name == "*" else [name])]
            except LakeAlertsError as error:
                raise TestFileError(f"{where}: {source}: {error.message}", hint=error.hint) from None
    documents = read_documents(base / source)
    parsed = parse_rules(documents)
    if parsed.problems:
        raise TestFileError(f"{where}: {source}: {parsed.problems[0]}", hint="fix the rule file")
    return parsed.valid


def init_test_file(app: AppContext, rule_id: str, target: Path | None) -> Path:
    """Write a starter test file for ``rule_id`` (the store's rule, else the pre-built one) to ``target`` (a file
    or a directory; default ``<rule_id>.test.yaml`` here). Tables come with their columns: the store's engine
    describes those that exist; otherwise the columns the SQL names, typed STRING, are a start."""
    path = (target / f"{rule_id}{TEST_SUFFIX}" if target is not None and target.is_dir() else target) or Path(
        f"{rule_id}{TEST_SUFFIX}"
    )
    if path.exists():
        raise UsageError(f"{path} exists", hint="give another path, or remove the file first")
    namespace = app.namespace
    rule, source, described = _rule_and_tables(app, rule_id)
    sql = render(rule.alert_query_template, namespace)
    guessed = referenced_columns(sql, namespace.catalog, namespace.schema)
    tables = {key: described.get(key) or _guessed_types(key, names, namespace) for key, names in guessed.items()}
    first = quartz.parse(rule.schedule_cron).next_fire_time(app.now(), rule.schedule_timezone) or app.now()
    path.write_text(starter_text(rule, source, tables, first, namespace.catalog, namespace.schema), encoding="utf-8")
    return path


def _guessed_types(key: TableName, names: Sequence[str], namespace: Namespace) -> list[tuple[str, str]]:
    """The columns the SQL names, typed like the demo gold table of that name, else STRING (to be fixed)."""
    demo = {t.name: {c.name: c.type for c in t.columns} for t in DEMO_TABLES}
    known = demo.get(key[2], {}) if key[:2] == (namespace.catalog.lower(), namespace.schema.lower()) else {}
    return [(name, known.get(name, "STRING")) for name in names]


def _rule_and_tables(app: AppContext, rule_id: str) -> tuple[AlertRule, str, dict[TableName, list[tuple[str, str]]]]:
    """The rule (store first, then the catalogue) and the columns of its tables the store's engine knows."""
    shipped = {rule.alert_id: rule for rule in catalog.load_rules(catalog.ALL_PACKS)}
    if not app.settings.store_path.exists() and app.engine is None:
        if rule_id not in shipped:
            raise NotFoundError(
                f"unknown rule {rule_id!r}: no store here and not a pre-built rule", hint="see docs/catalog.md"
            )
        return shipped[rule_id], f"catalog:{rule_id}", {}
    try:
        # Without lakealerts tables (only `demo-data --system`, say) the store still describes the tables.
        with app.store(require_tables=False, read_only=True) as store:
            try:
                ids = set(store.rule_ids())
            except LakeAlertsError:
                ids = set()
            rule = store.get_rule(rule_id).rule if rule_id in ids else shipped.get(rule_id)
            if rule is None:
                raise NotFoundError(
                    f"unknown rule {rule_id!r}: not stored and not a pre-built rule",
                    hint="lakealerts rules list shows the stored ones; pre-built ids look like COST-001 or "
                    "SYS-COST-001 (docs/catalog.md, docs/systables.md)",
                )
            source = f"store:{rule_id}" if rule_id in ids else f"catalog:{rule_id}"
            sql = render(rule.alert_query_template, app.namespace)
            described = {
                key: store.engine.table_columns(*key)
                for key in referenced_columns(sql, app.namespace.catalog, app.namespace.schema)
            }
            return rule, source, {k: [(c.name, databricks_type(c.type)) for c in v] for k, v in described.items() if v}
    except SetupError:
        if rule_id not in shipped:
            raise NotFoundError(
                f"unknown rule {rule_id!r}: not a pre-built rule, and no store here to hold it",
                hint="pre-built ids look like COST-001 or SYS-COST-001 (docs/catalog.md, docs/systables.md)",
            ) from None
        return shipped[rule_id], f"catalog:{rule_id}", {}


def databricks_type(engine_type: str) -> str:
    """An engine's column type in Databricks syntax (DuckDB's VARCHAR is STRING, TIMESTAMPTZ TIMESTAMP …)."""
    try:
        return exp.DataType.build(engine_type, dialect="duckdb").sql(dialect="databricks")
    except (ValueError, SqlglotError):  # a type sqlglot does not know: the test's author fixes it
        return "STRING"
