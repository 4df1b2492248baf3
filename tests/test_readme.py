"""The README's commands run as written after its two set-up commands (which make `.venv` and never activate it)."""

import pathlib
import re
import shlex
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"


def commands() -> list[str]:
    """Every command the README shows: lines of its bash blocks and `code spans` that start with a program."""
    blocks = re.findall(r"```bash\n(.*?)```", README, flags=re.S)
    lines = [line.strip() for block in blocks for line in block.splitlines()]
    spans = re.findall(r"`([^`\n]+)`", README)
    return [c for c in lines + spans if re.match(r"(\.venv/bin/)?(python3?|pip|streamlit)\b", c)]


def test_every_python_command_uses_the_environment_the_set_up_made():
    found = commands()
    assert any("sphere_toy compare" in c for c in found) and any("benchmarks/" in c for c in found)
    for command in found:
        program = command.split()[0]
        assert program.startswith(".venv/bin/") or command.startswith("python3 -m venv"), command
        for path in re.findall(r"benchmarks/\w+\.py", command):
            assert (ROOT / path).is_file(), command


@pytest.mark.skipif(not VENV_PYTHON.exists(), reason="no .venv here: the README's set-up command makes it")
def test_the_readmes_compare_example_runs_as_written():
    (example,) = [c for c in commands() if c.startswith(".venv/bin/python -m sphere_toy compare --data")]
    out = subprocess.run(shlex.split(example), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "A-softmax m=4" in out.stdout and "AUC" in out.stdout


def test_ci_runs_the_readmes_set_up_test_command_and_then_the_rest_of_the_suite():
    """CI runs the README's set-up test command as written (the suite without the tests marked slow), then the tests
    marked slow: together, the whole suite."""
    (set_up,) = [c for c in commands() if c.startswith("python3 -m venv") and "requirements-dev.txt" in c]
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    assert set_up.endswith('-m pytest -m "not slow"') and set_up in ci
    assert ci[ci.index(set_up) + 1] == ".venv/bin/python -m pytest -m slow"
