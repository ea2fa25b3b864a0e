"""The archivists' own tools, in a separate virtualenv the tests create.

pywb pins redis 2.x (which clashes with scrapy-redis), so pywb, cdxj-indexer and
py-wacz live in ``.venv-tools`` beside the project, created on first use (about
20 s) and reused while its pinned requirements do not change. ``make test`` creates it first
(``python -m tests.tools``, which prints its bin/ folder).
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
TOOLS_DIR = PROJECT_ROOT / ".venv-tools"
REQUIREMENTS = ["pywb==2.10.0", "cdxj-indexer==1.5.0", "wacz==0.6.0"]


def tools_bin() -> Path:
    """bin/ of the tools virtualenv, created or updated if needed."""
    stamp = TOOLS_DIR / ".requirements"
    wanted = "\n".join(REQUIREMENTS)
    if not stamp.exists() or stamp.read_text() != wanted:
        if not (TOOLS_DIR / "bin" / "python").exists():
            venv.EnvBuilder(with_pip=True, clear=True).create(TOOLS_DIR)
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        subprocess.run(
            [str(TOOLS_DIR / "bin" / "python"), "-m", "pip", "install", "--quiet", *REQUIREMENTS],
            check=True,
            env=env,
            stdout=sys.stderr,
        )
        stamp.write_text(wanted)
    return TOOLS_DIR / "bin"


if __name__ == "__main__":
    print(tools_bin())
