"""Presentation: the one way numbers become Swedish text, tables and figure styling.

Chapters and notebooks build every word and figure a report shows from these modules:
:mod:`~fouanalys.present.text` (the one number formatter), :mod:`~fouanalys.present.labels`
(Swedish names of codebook things), :mod:`~fouanalys.present.tables`,
:mod:`~fouanalys.present.style` and :mod:`~fouanalys.present.figures`.
"""

from fouanalys.present.figures import Captioned, captioned
from fouanalys.present.tables import Table, table

__all__ = ["Captioned", "Table", "captioned", "table"]
