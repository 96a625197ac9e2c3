"""A real browser (Debian's headless Chromium) opens a workbook in `make lab`.

Not part of `make test` (a fresh machine has no browser): run it with `make test-browser`.
"""

import shutil
import subprocess

from grader.engine.phases import REPO
from grader.selftest.test_notebooks import WORKBOOK_PHASES, lab  # noqa: F401  (lab is a fixture)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_a_real_browser_shows_the_workbook_in_jupyterlab(lab):
    assert CHROMIUM, "no chromium on PATH: make test-browser installs Debian's chromium when run as root"
    phase = WORKBOOK_PHASES[0]
    url = f"{lab['base']}/lab/tree/{phase.path}/workbook.ipynb?token={lab['token']}"
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--virtual-time-budget=20000",
         f"--user-data-dir={lab['tmp'] / 'chromium'}", "--dump-dom", url],
        capture_output=True, text=True, timeout=180)
    dom = done.stdout
    assert "jp-Notebook" in dom, dom[-2000:] + done.stderr[-2000:]
    assert "Phase 0 workbook" in dom and dom.count("jp-CodeCell") >= 5
    assert "Python 3 (ipykernel)" in dom  # the kernel the notebook asks for
    assert 'aria-label="Validate"' in dom  # nbgrader's extension is there for students
    assert not (REPO / phase.path / ".ipynb_checkpoints").exists(), "opening the workbook left a checkpoint behind"
