"""Every interface string has Welsh, and the catalogue is up to date with the code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from .helpers import ROOT

PO = ROOT / "translations" / "cy" / "LC_MESSAGES" / "messages.po"


def read_catalog(path):
    with open(path, "rb") as handle:
        return read_po(handle)


def test_every_interface_string_has_welsh():
    catalog = read_catalog(PO)
    untranslated = [m.id for m in catalog if m.id and not m.string]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == [] and fuzzy == []


def test_catalogue_holds_every_string_in_the_code(tmp_path):
    pot = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run(
        [pybabel, "extract", "-F", "babel.cfg", "-k", "_l", "-o", str(pot), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    wanted = {m.id for m in read_catalog(pot) if m.id}
    have = {m.id for m in read_catalog(PO) if m.id}
    assert wanted - have == set(), "run `make translations` and translate the new strings"
