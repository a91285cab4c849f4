"""The production install: ``make install`` puts pantau in a clean venv of its own (no editable install,
no development tools, nothing of the lab), and that pantau makes a document's PDF, as the agency's NMS
server must for its Berita Acara and monthly reports."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "inventory" / "example"


def test_make_install_gives_a_clean_venv_whose_pantau_writes_a_pdf(tmp_path: Path) -> None:
    prefix = tmp_path / "opt" / "pantau"
    make = subprocess.run(
        ["make", "-C", str(ROOT), "install", f"PREFIX={prefix}"], capture_output=True, text=True, check=False
    )
    assert make.returncode == 0, make.stdout + make.stderr
    from agent import __version__

    assert f"pantau installed in {prefix}: pantau {__version__}" in make.stdout
    freeze = subprocess.run([prefix / "bin" / "pip", "freeze"], capture_output=True, text=True, check=True).stdout
    shown = subprocess.run([prefix / "bin" / "pip", "show", "pantau"], capture_output=True, text=True, check=True)
    assert f"Version: {__version__}" in shown.stdout and str(prefix) in shown.stdout
    assert "Editable project location" not in shown.stdout  # the project itself, not a link to this checkout
    assert not {"pytest", "mypy", "ruff", "selenium"} & {line.split("==")[0].lower() for line in freeze.split()}

    env = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_")} | {"PANTAU_LANG": "en"}
    state, out = tmp_path / "state", tmp_path / "reports"
    pantau = [str(prefix / "bin" / "pantau")]
    made = subprocess.run(  # the first command on a new server that writes: the store is made
        [*pantau, "user", "add", "ani", "--role", "viewer", "--password-stdin", "--state-dir", str(state)],
        input="kata-sandi-panjang\n", capture_output=True, text=True, check=False, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    survey = subprocess.run(
        [*pantau, "report", "bandwidth", "--month", "2026-11", "-i", str(EXAMPLE), "--state-dir", str(state),
         "--output", str(out), "--json"],
        capture_output=True, text=True, check=False, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert survey.returncode == 0, survey.stderr
    pdf = Path(json.loads(survey.stdout)["paths"][-1])
    assert pdf.suffix == ".pdf" and pdf.read_bytes().startswith(b"%PDF-")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "2026" in text and "dinkes" in text.lower()
