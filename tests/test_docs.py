"""The documentation: the MkDocs site builds without a warning, and the README stays a short, correct
entry point into it.

- ``mkdocs build --strict`` (``mkdocs.yml`` at the root, pages in ``docs/``) succeeds: no broken link
  or anchor, no page left out of the navigation, and the Mermaid diagrams come out as Mermaid blocks;
- ``README.md`` is under 15 KB;
- every relative link in ``README.md`` points at a file that exists;
- every row of the README's "How do I ..." table gives a command and a docs page that exists.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MKDOCS_YML = ROOT / "mkdocs.yml"
DOCS = ROOT / "docs"
MAX_README_BYTES = 15_000

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")  # [text](target "title"), not images
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")


def _readme() -> str:
    return README.read_text(encoding="utf-8")


def _outside_code(text: str) -> str:
    """The Markdown without fenced code blocks and inline code (links there are not links)."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "", text)


def _relative_targets(text: str) -> list[str]:
    targets = LINK.findall(_outside_code(text)) + IMAGE.findall(_outside_code(text))
    return [t for t in targets if not re.match(r"^[a-z][a-z0-9+.-]*:", t, re.I) and not t.startswith("#")]


# ------------------------------------------------------------------ the site


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    if importlib.util.find_spec("mkdocs") is None:
        pytest.skip("mkdocs is not installed: pip install -e '.[test]' installs mkdocs-material and mkdocstrings")
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(MKDOCS_YML), "-d", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}"
    return out


def test_the_site_builds_strictly(site):
    assert (site / "index.html").is_file()
    assert (site / "configuration" / "index.html").is_file(), "docs/configuration.md is a page of the site"


def test_mermaid_diagrams_are_rendered_as_mermaid_blocks(site):
    page = (site / "architecture" / "index.html").read_text(encoding="utf-8")
    assert '<pre class="mermaid">' in page, "the mermaid custom fence of pymdownx.superfences is configured"


# ------------------------------------------------------------------ the README


def test_readme_is_short():
    size = len(README.read_bytes())
    assert size < MAX_README_BYTES, f"README.md is {size} bytes; move detail into docs/ (limit {MAX_README_BYTES})"


def test_every_relative_link_in_the_readme_points_at_a_file():
    targets = _relative_targets(_readme())
    assert targets, "the README links into docs/"
    missing = [t for t in targets if not (ROOT / t.split("#", 1)[0]).exists()]
    assert not missing, f"README links to files that do not exist: {missing}"


def _how_do_i_rows(text: str) -> list[list[str]]:
    """The body rows of the first table under the README's ``## How do I`` heading, as cells."""
    match = re.search(r"^## How do I.*?$(.*?)(?=^## |\Z)", text, flags=re.S | re.M)
    assert match, "the README has a '## How do I ...' section"
    lines = [line.strip() for line in match.group(1).splitlines() if line.strip().startswith("|")]
    assert len(lines) > 2, "the 'How do I' section has a table"
    rows = []
    for line in lines[2:]:  # after the header and the |---| line
        body = line.strip().strip("|")
        rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|(?=(?:[^`]*`[^`]*`)*[^`]*$)", body)])
    return rows


def test_every_command_in_how_do_i_names_a_docs_page_that_exists_and_what_it_gives():
    rows = _how_do_i_rows(_readme())
    assert len(rows) >= 10, "one row per common task"
    for cells in rows:
        assert len(cells) == 3, f"[task](docs page) | command | what it gives: {cells}"
        task, command, gives = cells
        assert re.fullmatch(r"`[^`]+`", command), f"{task!r}: the command is one code span, got {command!r}"
        assert len(gives) > 5, f"{task!r}: say what the command gives"
        pages = LINK.findall(task)
        assert pages, f"{task!r}: no docs page linked"
        for page in pages:
            path = ROOT / page.split("#", 1)[0]
            assert page.startswith("docs/") and path.suffix == ".md", f"{task!r}: {page} is not a docs page"
            assert path.is_file(), f"{task!r}: {page} does not exist"


def test_the_docs_pages_the_readme_names_are_in_the_site_navigation():
    nav = MKDOCS_YML.read_text(encoding="utf-8")
    for page in {p.split("#", 1)[0] for p in _relative_targets(_readme()) if p.startswith("docs/")}:
        assert page.removeprefix("docs/") in nav, f"{page} is not in mkdocs.yml's nav"
