"""Names a module re-exports from a heavy module, imported when first used.

The chapter packages re-export their figures beside their sentences and tables. The figures
need matplotlib, about half a second to import, and the build's own bookkeeping (the index
page's findings, the action-plan workbooks) reads the same packages' sentences only: with the
figures bound lazily, a build with nothing to do stays under a second. ``workbench`` binds its
table views the same way, so a notebook's first cell imports no chapter code it does not use.
A notebook that imports such a name gets it exactly as before. Imports nothing but the
standard library, so that any layer may use it.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable


def lazy_names(package: str, module: str, names: Iterable[str]) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``package`` (a package or a module) that imports ``names``
    from ``module`` on first use (and binds them there, so the next use is a plain
    attribute)."""
    wanted = frozenset(names)

    def __getattr__(name: str) -> object:
        if name not in wanted:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
