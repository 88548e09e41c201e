"""The Python package as it is declared: the Python versions it claims are the ones its code
needs (checked by vermin, statically, so no older interpreter is needed here). That it installs
whole and runs from outside the source tree is checked by ./dev.sh test (tests/install)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

PACKAGE = Path(__file__).resolve().parents[2] / "agents-bridge" / "python"


def test_code_needs_no_newer_python_than_requires_python():
    declared = tomllib.loads((PACKAGE / "pyproject.toml").read_text())["project"]
    match = re.fullmatch(r">=\s*(\d+)\.(\d+)", declared["requires-python"])
    assert match, f"requires-python {declared['requires-python']!r} is not '>=X.Y'"
    target = f"{match[1]}.{match[2]}-"
    done = subprocess.run(
        [str(Path(sys.executable).parent / "vermin"), "--no-tips", "--violations",
         f"-t={target}", str(PACKAGE / "sandpit")],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, f"code needs more than Python {target}:\n{done.stdout}{done.stderr}"
