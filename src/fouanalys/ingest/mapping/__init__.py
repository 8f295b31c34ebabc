"""The mapping round trip: a template workbook out to a municipality, its return read in.

- :mod:`~fouanalys.ingest.mapping.columns` — the workbook's layout, used both ways;
- :mod:`~fouanalys.ingest.mapping.template` — ``fouanalys mapping template``;
- :mod:`~fouanalys.ingest.mapping.normalisation` — what people type, read where unambiguous;
- :mod:`~fouanalys.ingest.mapping.returns` — ``fouanalys mapping import``: the gate, then a
  new mapping round (:mod:`fouanalys.ingest.rounds`).
"""
