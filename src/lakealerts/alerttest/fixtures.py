"""A test's fixture tables: the file's, replaced by the test's of the same name, as :class:`Fixture` values.

Names resolve like the rule SQL's (a short name in ``${catalog}.${gold_schema}``); rows come from the file or
from a CSV file next to it (read as text: the declared column types decide the values).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

from lakealerts.alerttest.spec import FixtureSpec
from lakealerts.sql.rewrite import Fixture, TableName, resolve_table


def one_fixture(name: str, spec: FixtureSpec, catalog: str, schema: str, base: Path | None) -> Fixture:
    """One fixture; a CSV's empty cells are NULL."""
    columns = tuple(spec.columns.items())
    if spec.csv is not None:
        rows = _csv_rows(Path(spec.csv) if base is None else base / spec.csv, [c for c, _ in columns])
    else:
        rows = tuple(tuple(row.get(column) for column, _ in columns) for row in spec.rows)
    return Fixture(resolve_table(name, catalog, schema), columns, rows)


def merged(
    file_specs: Mapping[str, FixtureSpec], test_specs: Mapping[str, FixtureSpec], catalog: str, schema: str
) -> dict[TableName, tuple[str, FixtureSpec]]:
    """The file's fixtures with the test's replacing those that name the same table (by resolved name)."""
    tables = {resolve_table(n, catalog, schema): (n, s) for n, s in file_specs.items()}
    tables.update({resolve_table(n, catalog, schema): (n, s) for n, s in test_specs.items()})
    return tables


def _csv_rows(path: Path, columns: list[str]) -> tuple[tuple[str | None, ...], ...]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: no column {missing[0]!r} in the CSV header")
        return tuple(tuple(row[c] if row[c] != "" else None for c in columns) for row in reader)
