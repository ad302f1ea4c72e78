"""Start-up stays fast (issue 19): each command imports only what it uses.

``lakealerts --help`` needs typer and the commands' options, not DuckDB, sqlglot or the Databricks SDK; a sync
needs three of the SDK's services, not the 2,300+ dataclasses its package ``__init__`` loads through
``WorkspaceClient``. Each check imports in a fresh interpreter and reads ``sys.modules``, so an eager import
added anywhere on the path fails here (timings live in ``bench/bench_startup.py``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

# What a sync may load of the SDK: its three services (alerts V2 in sql, notification destinations in settings,
# mkdirs in workspace), the Statement Execution API (sql) and what those modules import themselves.
SYNC_SERVICES = {"_internal", "sql", "settings", "workspace", "iam", "provisioning"}


def modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code``."""
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60)
    return set(json.loads(done.stdout.splitlines()[-1]))


def loaded(modules: set[str], package: str) -> list[str]:
    """``package`` and its submodules among ``modules``."""
    return sorted(m for m in modules if m == package or m.startswith(package + "."))


def sdk_services(modules: set[str]) -> set[str]:
    """The ``databricks.sdk.service`` modules loaded, by short name."""
    prefix = "databricks.sdk.service."
    return {m[len(prefix) :].split(".")[0] for m in modules if m.startswith(prefix)}


def test_the_cli_app_imports_no_engine_no_sqlglot_and_no_sdk_service() -> None:
    modules = modules_after("import lakealerts.cli.app")
    assert "databricks.sdk.service.jobs" not in modules
    assert not sdk_services(modules), f"--help loads SDK services: {sorted(sdk_services(modules))}"
    for heavy in ("duckdb", "sqlglot", "requests", "rich.markdown", "pydantic", "lakealerts.model"):
        assert not loaded(modules, heavy), f"import lakealerts.cli.app loads {heavy}"


def test_the_sync_path_loads_only_the_sdk_services_sync_uses() -> None:
    modules = modules_after(
        "import lakealerts.app.sync, lakealerts.sync.client, lakealerts.sync.run\n"
        "assert 'WorkspaceClient' not in vars(sys.modules['databricks.sdk'])"
    )
    assert "databricks.sdk.service.jobs" not in modules
    assert {"sql", "settings", "workspace"} <= sdk_services(modules) <= SYNC_SERVICES, sorted(sdk_services(modules))


def test_the_full_sdk_still_imports_after_the_lean_load() -> None:
    """Code that wants ``WorkspaceClient`` (a notebook job, the warehouse engine) gets the real one."""
    modules = modules_after(
        "import lakealerts.sync.client\n"
        "from databricks.sdk import WorkspaceClient\n"
        "import databricks.sdk\n"
        "assert databricks.sdk.WorkspaceClient is WorkspaceClient and hasattr(WorkspaceClient, 'alerts_v2')\n"
        "assert databricks.sdk.core.ApiClient is lakealerts.sync.client.ApiClient"
    )
    assert "databricks.sdk.service.jobs" in modules  # the package's own __init__ ran, in place


def test_threads_that_first_use_the_sdk_together_all_get_the_full_package() -> None:
    """The load runs once under a lock: a thread that waited finds ``WorkspaceClient``, none sees a half-run
    ``__init__`` (an ``AttributeError`` before the fix, in 7 threads of 8)."""
    modules_after(
        "import threading\n"
        "import lakealerts.sync\n"
        "import databricks.sdk as sdk\n"
        "gate, missing = threading.Barrier(8), []\n"
        "def first_use():\n"
        "    gate.wait()\n"
        "    if not hasattr(sdk, 'WorkspaceClient'):\n"
        "        missing.append(threading.get_ident())\n"
        "threads = [threading.Thread(target=first_use) for _ in range(8)]\n"
        "[t.start() for t in threads]\n"
        "[t.join() for t in threads]\n"
        "assert not missing, f'{len(missing)} of 8 threads found no WorkspaceClient'\n"
        "assert hasattr(sdk.WorkspaceClient, 'alerts_v2')"
    )


def test_a_failed_full_load_is_retried_by_the_next_lookup() -> None:
    """An ``__init__`` that raises leaves the package lean, not half-built: the same error again while the cause
    lasts (not an ``AttributeError``), the full package once it is gone."""
    modules_after(
        "import lakealerts.sync\n"
        "import databricks.sdk as sdk\n"
        "sys.modules['databricks.sdk.service.jobs'] = None  # its import now fails\n"
        "for attempt in range(2):\n"
        "    try:\n"
        "        sdk.WorkspaceClient\n"
        "    except ImportError as error:\n"
        "        assert 'jobs' in str(error), error\n"
        "    else:\n"
        "        raise AssertionError(f'attempt {attempt}: the broken __init__ loaded')\n"
        "del sys.modules['databricks.sdk.service.jobs']\n"
        "from databricks.sdk import WorkspaceClient\n"
        "assert hasattr(WorkspaceClient, 'alerts_v2') and sdk.WorkspaceClient is WorkspaceClient"
    )


def test_a_star_import_of_the_sdk_gets_its_names() -> None:
    """``from databricks.sdk import *`` never asks ``__getattr__`` for a name: it reads ``__all__``, then the
    module's namespace; the ``__all__`` lookup loads the package first (and ``dir()`` too)."""
    modules_after(
        "import lakealerts.sync\n"
        "names = {}\n"
        "exec('from databricks.sdk import *', names)\n"
        "assert 'WorkspaceClient' in names and 'AccountClient' in names, sorted(names)[:20]\n"
        "import databricks.sdk\n"
        "assert 'WorkspaceClient' in dir(databricks.sdk)"
    )


def test_dir_of_the_lean_sdk_lists_the_full_package() -> None:
    modules = modules_after("import lakealerts.sync, databricks.sdk\nassert 'WorkspaceClient' in dir(databricks.sdk)")
    assert "databricks.sdk.service.jobs" in modules


def test_the_duckdb_engine_imports_no_sqlglot() -> None:
    modules = modules_after("import lakealerts.engines.duckdb, lakealerts.sql.translation, lakealerts.sql.plain")
    assert not loaded(modules, "sqlglot"), "import lakealerts.engines.duckdb loads sqlglot"
    assert not loaded(modules, "lakealerts.sql.translate") and not loaded(modules, "lakealerts.sql.decimals")


def test_the_store_reads_run_without_sqlglot_and_other_sql_loads_it(tmp_path: Path) -> None:
    """A plain read (``rules list``) runs on the file store with no sqlglot imported; a statement outside the
    fast path's grammar (``date_add``) imports it then, and runs translated."""
    store = tmp_path / "lakealerts.duckdb"
    modules_after(
        "import datetime, duckdb\n"
        f"with duckdb.connect({str(store)!r}) as raw:\n"
        "    raw.execute('CREATE SCHEMA gold')\n"
        '    raw.execute("CREATE TABLE gold.t (k VARCHAR, d DATE)")\n'
        "    raw.execute(\"INSERT INTO gold.t VALUES ('b', DATE '2026-03-01'), (NULL, NULL), ('a', NULL)\")\n"
        "from pathlib import Path\n"
        "from lakealerts.engines.duckdb import DuckDBEngine\n"
        f"with DuckDBEngine.open(Path({str(store)!r}), 'main') as engine:\n"
        "    read = 'SELECT `k`, `d` FROM `main`.`gold`.`t` WHERE `k` IN (?, ?) ORDER BY `k`'\n"
        "    assert engine.execute(read, ['b', 'a']).rows == (('a', None), ('b', datetime.date(2026, 3, 1)))\n"
        "    everything = engine.execute('SELECT `k` FROM `main`.`gold`.`t` ORDER BY `k`').rows\n"
        "    assert everything == ((None,), ('a',), ('b',)), everything\n"
        "    assert 'sqlglot' not in sys.modules, 'a plain read imported sqlglot'\n"
        "    later = engine.execute(\"SELECT date_add(d, 1) FROM main.gold.t WHERE k = 'b'\").rows\n"
        "    assert later == ((datetime.date(2026, 3, 2),),), later\n"
        "    assert 'sqlglot' in sys.modules"
    )
