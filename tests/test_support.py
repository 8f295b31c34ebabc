"""The stand-in chapter notebooks of ``support`` stand in for the real ones where the build's
mechanics are tested: same parameters, a parameters cell the runner accepts, the tables the
registry says each entry reads, and slides for a deck."""

from __future__ import annotations

import re

import nbformat
import papermill as pm
from support import write_stand_ins

from fouanalys.build.runner import check_parameters_cell
from fouanalys.build.slides import slide_count
from fouanalys.chapters import registry
from fouanalys.config import NOTEBOOKS_DIR


def test_stand_ins_have_the_real_parameters_and_read_what_the_registry_lists(tmp_path):
    entries = registry.entry_ids()
    write_stand_ins(tmp_path, entries, stall_while=tmp_path / "stall", figure=True)
    for entry in entries:
        path = tmp_path / registry.notebook_file(entry)
        check_parameters_cell(path)
        real = pm.inspect_notebook(str(NOTEBOOKS_DIR / registry.notebook_file(entry)))
        assert pm.inspect_notebook(str(path)) == real, entry
        code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
        loaded = set(re.findall(r"'(\w+)': '(?:own|all|rows)'", code))
        assert set(registry.chapter(entry).reads) - {"manifest"} <= loaded, entry
        assert "stall" in code and "savefig" in code
        if registry.kind(entry) == "deck":
            assert slide_count(nbformat.read(path, as_version=4)) >= 1, entry
