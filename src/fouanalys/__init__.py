"""fouanalys: a reproducible research workbench for FoU Nordväst.

Maps how each municipality works to stop young people from being recruited into crime, from its
own youth survey, intervention inventory and population, into validated tables, notebooks and
Swedish report chapters.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("fouanalys")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
