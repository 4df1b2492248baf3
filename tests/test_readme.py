"""The commands of the README and of its pages in docs/ run as written after the README's two set-up commands (which
make `.venv` and never activate it), and every relative link in them leads somewhere."""

import pathlib
import re
import shlex
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TEXTS = {page: page.read_text(encoding="utf-8") for page in PAGES}
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"


def commands() -> list[str]:
    """Every command the README and the docs/ pages show: lines of their bash blocks and `code spans` that start
    with a program."""
    found = []
    for text in TEXTS.values():
        blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
        lines = [line.strip() for block in blocks for line in block.splitlines()]
        spans = re.findall(r"`([^`\n]+)`", text)
        found += [c for c in lines + spans if re.match(r"(\.venv/bin/)?(python3?|pip|streamlit)\b", c)]
    return found


def test_the_docs_pages_are_checked():
    assert {p.name for p in PAGES} >= {"README.md", "teaching.md", "cli.md", "speed.md", "design.md"}


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
    assert set_up in TEXTS[ROOT / "README.md"]
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    assert set_up.endswith('-m pytest -m "not slow"') and set_up in ci
    assert ci[ci.index(set_up) + 1] == ".venv/bin/python -m pytest -m slow"


def _prose(text: str) -> str:
    """The text without its fenced code blocks and `code spans` (a `[...](...)` in code is not a link)."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "", text)


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lowercase, punctuation dropped but '-' and '_', spaces to '-' (letters of any
    script, such as 繁體中文 or λ, kept)."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(text: str) -> set[str]:
    anchors, seen = set(), {}
    for heading in re.findall(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", _prose(text), flags=re.M):
        slug = _slug(heading)
        anchors.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
        seen[slug] = seen.get(slug, 0) + 1
    return anchors


def test_slugs_are_githubs():
    assert _slug("Set-up: two commands") == "set-up-two-commands"
    assert _slug("Two languages: English and 繁體中文") == "two-languages-english-and-繁體中文"
    assert _slug("Lessons: the notes' story as a guided path") == "lessons-the-notes-story-as-a-guided-path"
    assert _slug("The λ schedule") == "the-λ-schedule"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_leads_to_a_file_and_heading_that_exist(page):
    links = re.findall(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)", _prose(TEXTS[page]))
    assert links or page.name != "README.md"
    broken = []
    for link in links:
        if re.match(r"[a-z][a-z0-9+.-]*:", link, flags=re.I):  # https:, mailto:, ...: not relative
            continue
        path, _, anchor = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        if not target.exists():
            broken.append(f"{link}: no such file")
        elif anchor and target.suffix == ".md" and anchor not in _anchors(target.read_text(encoding="utf-8")):
            broken.append(f"{link}: no heading with that anchor in {target.relative_to(ROOT)}")
    assert not broken, broken
