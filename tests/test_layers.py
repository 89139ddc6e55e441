"""The floors of the house hold: the import-linter contracts in pyproject.toml ([tool.importlinter]).

Faces over shared web pieces over the domain (survey.core) over the results engine over the
bottom; every module of the app has its floor; no import runs back up; no circle between sibling
modules; the app never imports the demo generator. `make lint` runs the same check.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def test_the_import_contracts_are_kept():
    result = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
