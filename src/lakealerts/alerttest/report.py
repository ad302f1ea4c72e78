"""A test run's report: results, coverage, and its renderings — text (with ``--diff``), JSON and JUnit (pure).

JSON is DESIGN §11's document; JUnit has one ``<testsuite>`` per file and one ``<testcase>`` per test or routing
check (classname = the file), a failure carrying the ``--diff`` text.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lakealerts.alerttest.routing import RoutingResult
from lakealerts.alerttest.runner import TestResult


@dataclass(frozen=True)
class Coverage:
    """Which rules of the loaded rule sets have a test, and the states their tests reached."""

    rules_total: int
    tested: tuple[str, ...]
    untested: tuple[str, ...]
    outcomes: Mapping[str, tuple[str, ...]]

    @property
    def percent(self) -> float:
        """Rules with a test, in percent of all loaded rules (100 when there are none)."""
        return 100.0 if not self.rules_total else round(100 * len(self.tested) / self.rules_total, 1)

    def to_dict(self) -> dict[str, Any]:
        """DESIGN §11's coverage entry."""
        return {
            "rules_total": self.rules_total,
            "rules_tested": len(self.tested),
            "percent": self.percent,
            "untested": list(self.untested),
            "outcomes": {k: list(v) for k, v in self.outcomes.items()},
        }


def coverage_of(rule_ids: Iterable[str], tests: Iterable[TestResult]) -> Coverage:
    """Coverage of ``rule_ids`` (every rule loaded) by ``tests``."""
    everything = sorted(set(rule_ids))
    reached: dict[str, set[str]] = {}
    for test in tests:
        reached.setdefault(test.rule, set()).update(test.states)
    tested = tuple(r for r in everything if r in reached)
    untested = tuple(r for r in everything if r not in reached)
    return Coverage(len(everything), tested, untested, {r: tuple(sorted(reached[r])) for r in tested})


@dataclass
class TestReport:
    """Everything one ``lakealerts test`` ran."""

    tests: list[TestResult] = field(default_factory=list)
    routing: list[RoutingResult] = field(default_factory=list)
    coverage: Coverage = field(default_factory=lambda: Coverage(0, (), (), {}))
    files: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        """Tests and routing checks with ``status``."""
        return sum(1 for t in self.tests if t.status == status) + sum(1 for r in self.routing if r.status == status)

    @property
    def all_passed(self) -> bool:
        """No test or routing check failed or errored."""
        return self.count("failed") == 0 and self.count("error") == 0

    def to_dict(self) -> dict[str, Any]:
        """DESIGN §11's ``--json`` document."""
        return {
            "passed": self.count("passed"),
            "failed": self.count("failed"),
            "errors": self.count("error"),
            "tests": [t.to_dict() for t in self.tests],
            "routing": [r.to_dict() for r in self.routing],
            "coverage": self.coverage.to_dict(),
        }


def failure_text(test: TestResult, diff: bool) -> str:
    """Why a test did not pass: one line per missed expectation, or each one's diff."""
    if test.error is not None:
        return f"error: {test.error}"
    return "\n".join(f.diff() if diff else f.summary() for f in test.failures)


def text_lines(report: TestReport, diff: bool) -> list[str]:
    """The human report: one line per test and routing check, the reasons under those that did not pass."""
    lines: list[str] = []
    for test in report.tests:
        lines.append(f"{_MARK[test.status]} {test.file}: {test.name} ({test.rule})")
        if test.status != "passed":
            lines += ["    " + line for line in failure_text(test, diff).splitlines()]
    for check in report.routing:
        lines.append(f"{_MARK[check.status]} {check.file}: routing: {check.name}")
        if check.status != "passed":
            lines.append("    " + check.summary())
    lines.append(f"{report.count('passed')} passed, {report.count('failed')} failed, {report.count('error')} errors")
    return lines


_MARK = {"passed": "PASS", "failed": "FAIL", "error": "ERROR"}


def junit_xml(report: TestReport) -> str:
    """The JUnit document: a testsuite per file, a testcase per test or routing check."""
    root = ElementTree.Element("testsuites", name="lakealerts test")
    for label in report.files:
        tests = [t for t in report.tests if t.file == label]
        checks = [r for r in report.routing if r.file == label]
        suite = ElementTree.SubElement(
            root,
            "testsuite",
            name=label,
            tests=str(len(tests) + len(checks)),
            failures=str(sum(t.status == "failed" for t in tests) + sum(r.status == "failed" for r in checks)),
            errors=str(sum(t.status == "error" for t in tests)),
        )
        for test in tests:
            case = ElementTree.SubElement(
                suite, "testcase", classname=label, name=test.name, time=f"{test.duration_ms / 1000:.3f}"
            )
            if test.status != "passed":
                tag = "failure" if test.status == "failed" else "error"
                text = failure_text(test, diff=True)
                ElementTree.SubElement(case, tag, message=text.splitlines()[0] if text else tag).text = text
        for check in checks:
            case = ElementTree.SubElement(suite, "testcase", classname=label, name=f"routing: {check.name}", time="0")
            if check.status != "passed":
                ElementTree.SubElement(case, "failure", message=check.summary()).text = check.summary()
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def coverage_lines(coverage: Coverage) -> list[str]:
    """``--coverage``: the share of rules with a test, what each reached, and the rules without one."""
    lines = [f"coverage: {len(coverage.tested)} of {coverage.rules_total} rules tested ({coverage.percent:g}%)"]
    lines += [
        f"  {rule}: {', '.join(states) or 'no outcome (the test errored)'}"
        for rule, states in coverage.outcomes.items()
    ]
    if coverage.untested:
        lines.append(f"  untested: {', '.join(coverage.untested)}")
    return lines
