"""Sync to Databricks SQL Alerts V2: mapping rule -> AlertV2, a pure planner, and the applier.

Importing this package makes ``databricks.sdk`` load lean (:func:`load_sdk_lean`): sync uses three of the SDK's
services, and the SDK's package ``__init__`` imports all of them (2,300+ dataclasses, a second and more).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from importlib.abc import Loader
from types import ModuleType
from typing import Any

_SDK = "databricks.sdk"


def load_sdk_lean() -> None:
    """Register ``databricks.sdk`` so that its submodules (``core``, ``service.sql``, ``errors`` …) import
    without running the package's ``__init__``, which builds ``WorkspaceClient`` from every service module.

    Nothing changes for code that wants more: the first lookup of a name the ``__init__`` defines
    (``from databricks.sdk import WorkspaceClient``), ``dir(databricks.sdk)`` and ``from databricks.sdk import *``
    run that ``__init__`` in place, once. A no-op when the SDK is already imported (a notebook's runtime, a test
    that imported it first). See :class:`_FullLoad` for threads and failures.
    """
    if _SDK in sys.modules:
        return
    spec = importlib.util.find_spec(_SDK)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return  # not a regular package: import it the ordinary way
    package = importlib.util.module_from_spec(spec)
    full = _FullLoad(package, spec.loader)
    package.__getattr__ = full.getattr  # type: ignore[method-assign]  # PEP 562: only for missing names
    package.__dir__ = full.dir  # type: ignore[method-assign]  # PEP 562: dir(module)
    sys.modules[_SDK] = package
    parent: ModuleType | None = sys.modules.get("databricks") or importlib.import_module("databricks")
    setattr(parent, "sdk", package)  # noqa: B010 - a namespace package's child, set as the import system would


class _FullLoad:
    """Runs the SDK's own ``__init__`` in the lean package, once, on the first lookup that needs it.

    - Threads: one lock (re-entrant: the ``__init__`` may look names up in its own, half-run module) serialises
      the load; a thread that waited finds the names the first one defined. Inside the load, a missing name
      raises :class:`AttributeError`, as a partly initialised module would.
    - Failure: ``loaded`` is set only after the ``__init__`` succeeded; when it raises, the names it defined are
      removed again, so the module is as lean as before and the next lookup runs the ``__init__`` again (raising
      again if the cause persists) instead of leaving a half-built ``databricks.sdk`` for the process.
    - Star imports: ``from databricks.sdk import *`` reads ``__all__`` (the SDK has none, so the interpreter then
      takes every public name of the module's ``__dict__``): looking up ``__all__`` loads the package first.
    """

    def __init__(self, package: ModuleType, loader: Loader) -> None:
        self.package = package
        self.loader = loader
        self.lock = threading.RLock()
        self.loaded = False
        self.loading = False

    def getattr(self, name: str) -> Any:
        """PEP 562 ``__getattr__``: a submodule is imported on its own; any other name loads the package."""
        if name == "__all__":
            self.load()
            return self._defined(name)
        if name.startswith("__"):
            raise AttributeError(name)
        if importlib.util.find_spec(f"{_SDK}.{name}") is not None:  # a submodule: import just that one
            return importlib.import_module(f"{_SDK}.{name}")
        self.load()
        return self._defined(name)

    def dir(self) -> list[str]:
        """PEP 562 ``__dir__``: every name of the full package."""
        self.load()
        return sorted(vars(self.package))

    def load(self) -> None:
        """Run the SDK's ``__init__`` in place unless done (or under way in this thread)."""
        with self.lock:
            if self.loaded or self.loading:
                return
            before = dict(vars(self.package))
            self.loading = True
            try:
                self.loader.exec_module(self.package)  # the SDK's own __init__ (WorkspaceClient, AccountClient …)
            except BaseException:
                namespace = vars(self.package)
                namespace.clear()
                namespace.update(before)  # lean again: the next lookup retries
                raise
            finally:
                self.loading = False
            self.loaded = True

    def _defined(self, name: str) -> Any:
        try:
            return vars(self.package)[name]
        except KeyError:
            raise AttributeError(f"module {_SDK!r} has no attribute {name!r}") from None


load_sdk_lean()
