"""Presentation: the one way numbers become Swedish text, tables and figure styling.

Chapters and notebooks build every word and figure a report shows from these modules:
:mod:`~fouanalys.present.text` (the one number formatter), :mod:`~fouanalys.present.labels`
(Swedish names of codebook things), :mod:`~fouanalys.present.tables`,
:mod:`~fouanalys.present.style` and :mod:`~fouanalys.present.figures`.
"""

from fouanalys.lazy import lazy_names
from fouanalys.present.tables import Table, table

#: Figures need matplotlib: imported when first used (:mod:`fouanalys.lazy`).
__getattr__ = lazy_names(__name__, f"{__name__}.figures", ("Captioned", "captioned"))

__all__ = ["Captioned", "Table", "captioned", "table"]
