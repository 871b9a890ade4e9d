"""A report as a list of pages of plain blocks, written as self-contained HTML and as Markdown.

:mod:`sim.report` decides what a report says; this module only lays it out. A :class:`Page` holds
blocks: :class:`Heading`, :class:`Paragraph` (``kind`` "summary" or "warning" stands out),
:class:`Table` (text cells) and :class:`Image` (a matplotlib Figure). :func:`write_report` renders
every figure to PNG once, then writes

- ``report.html``: one file, the PNGs embedded as ``data:`` URIs and the style sheet inline, so it
  opens anywhere without a network or the folder beside it; each page after the first starts a
  new printed page;
- ``report.md`` with the PNGs in ``figures/`` beside it (for a wiki, a slide tool, a diff).

All text is escaped, in the HTML and in the Markdown: nothing in a scenario name, an option's name or an
error message can inject markup or a link.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from matplotlib.figure import Figure

from sim.experiments.files import atomic_write
from sim.reporting.style import png_bytes

__all__ = ["Heading", "Paragraph", "Table", "Image", "Page", "write_report", "render_html", "render_markdown"]


@dataclass
class Heading:
    text: str
    level: int = 2


@dataclass
class Paragraph:
    text: str
    kind: str = "text"  # "text" | "summary" | "warning" | "note"


#: a number with an optional short unit and an optional interval: ``92.6% ± 1.9``, ``+9.4 pp [+7.8, +10.9]``,
#: ``1,165.2 s``, ``16–36``, ``0% [0–28]``
_NUMBER = re.compile(r"^[+\-−]?[\d,.]+(–[\d,.]+)?(%| ?[a-z\-]{1,8})?( ?(±|\[|\().*)?$")


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    caption: str = ""


    def numeric(self) -> list[bool]:
        """Per column: do all its cells read as numbers (right-aligned)? The first column never."""
        def number(cell: str) -> bool:
            return str(cell).strip() in ("", "–") or _NUMBER.match(str(cell).strip()) is not None
        return [i > 0 and all(number(row[i]) for row in self.rows if i < len(row)) for i in range(len(self.header))]


@dataclass
class Image:
    name: str  # file stem, unique within the report
    figure: Figure
    caption: str


@dataclass
class Page:
    title: str
    blocks: list = field(default_factory=list)

    def add(self, *blocks) -> "Page":
        self.blocks.extend(blocks)
        return self


_CSS = """
body { font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; color: #1a1a1a; margin: 0;
       background: #f4f4f4; line-height: 1.45; }
main { max-width: 1240px; margin: 0 auto; padding: 24px; }
section.page { background: #fff; padding: 28px 36px; margin-bottom: 28px; box-shadow: 0 1px 4px rgba(0,0,0,.15); }
section.page + section.page { break-before: page; page-break-before: always; }
h1 { font-size: 28px; margin: 0 0 6px; } h2 { font-size: 22px; margin: 28px 0 10px; border-bottom: 2px solid #0072B2; }
h3 { font-size: 18px; margin: 20px 0 8px; }
p { font-size: 16px; max-width: 70em; }
p.summary { font-size: 18px; background: #eef6fb; border-left: 6px solid #0072B2; padding: 12px 16px; }
p.warning { font-size: 17px; background: #fdf0e8; border-left: 6px solid #D55E00; padding: 12px 16px; }
p.note { font-size: 14px; color: #444; }
table { border-collapse: collapse; margin: 8px 0 18px; font-size: 15px; }
caption { text-align: left; font-weight: bold; padding: 4px 0; }
th, td { border: 1px solid #ccc; padding: 5px 10px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; } .num { text-align: right; }
div.table { max-width: 100%; overflow-x: auto; } table.wide { font-size: 13px; } table.wide td, table.wide th { padding: 4px 6px; }
tr:nth-child(even) td { background: #fafafa; }
figure { margin: 12px 0 24px; } figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: 14px; color: #444; margin-top: 4px; }
.meta { color: #555; font-size: 14px; margin: 2px 0 0; }
header { padding: 4px 4px 16px; } .kicker { font-size: 20px; font-weight: bold; color: #0072B2; margin: 0; }
@media print { body { background: #fff; } section.page { box-shadow: none; margin: 0; } }
"""


def _esc(text: str) -> str:
    return html.escape(str(text), quote=True)


def render_html(title: str, pages: list[Page], images: dict[str, bytes], meta: str = "") -> str:
    """The whole report as one HTML document; ``images``: PNG bytes by image name."""
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{_esc(title)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>", "<main>",
           f'<header><p class="kicker">{_esc(title)}</p>' + (f'<p class="meta">{_esc(meta)}</p>' if meta else "")
           + "</header>"]
    for page in pages:
        out.append('<section class="page">')
        out.append(f"<h1>{_esc(page.title)}</h1>")
        for block in page.blocks:
            out.append(_html_block(block, images))
        out.append("</section>")
    out += ["</main>", "</body>", "</html>"]
    return "\n".join(out) + "\n"


def _html_block(block, images: dict[str, bytes]) -> str:
    if isinstance(block, Heading):
        level = min(max(block.level, 2), 4)
        return f"<h{level}>{_esc(block.text)}</h{level}>"
    if isinstance(block, Paragraph):
        return f'<p class="{_esc(block.kind)}">{_esc(block.text)}</p>'
    if isinstance(block, Table):
        numeric = block.numeric()

        def cls(i: int) -> str:
            return ' class="num"' if i < len(numeric) and numeric[i] else ""
        head = "".join(f"<th{cls(i)}>{_esc(h)}</th>" for i, h in enumerate(block.header))
        body = "\n".join("<tr>" + "".join(f"<td{cls(i)}>{_esc(c)}</td>" for i, c in enumerate(row)) + "</tr>"
                         for row in block.rows)
        caption = f"<caption>{_esc(block.caption)}</caption>" if block.caption else ""
        wide = ' class="wide"' if len(block.header) > 6 else ""
        return f'<div class="table"><table{wide}>{caption}<thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table></div>'
    if isinstance(block, Image):
        data = base64.b64encode(images[block.name]).decode("ascii")
        return (f'<figure><img src="data:image/png;base64,{data}" alt="{_esc(block.caption)}">'
                f"<figcaption>{_esc(block.caption)}</figcaption></figure>")
    raise TypeError(f"unknown report block {type(block).__name__}")


def _md(text: str) -> str:
    """Text as Markdown shows it, never as markup: ``<``, ``>`` and ``&`` as entities (no raw HTML), and
    no link or image syntax (``](`` broken), so a name like ``<script>`` or ``[x](javascript:...)`` is
    only text."""
    return html.escape(str(text), quote=False).replace("](", "]\\(")


def _md_cell(text: str) -> str:
    return _md(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(title: str, pages: list[Page], image_dir: str = "figures", meta: str = "") -> str:
    """The report as Markdown; images are ``<image_dir>/<name>.png`` links."""
    out = [f"# {_md(title)}", ""]
    if meta:
        out += [f"_{_md(meta)}_", ""]
    for page in pages:
        if len(pages) > 1 or page.title != title:
            out += [f"## {_md(page.title)}", ""]
        for block in page.blocks:
            if isinstance(block, Heading):
                out += [f"{'#' * (min(max(block.level, 2), 4) + 1)} {_md(block.text)}", ""]
            elif isinstance(block, Paragraph):
                text = _md(block.text)
                out += [f"> **{text}**" if block.kind == "summary" else (f"> ⚠ {text}" if block.kind == "warning"
                                                                         else text), ""]
            elif isinstance(block, Table):
                if block.caption:
                    out += [f"**{_md(block.caption)}**", ""]
                out.append("| " + " | ".join(_md_cell(h) for h in block.header) + " |")
                out.append("|" + "|".join("---:" if n else "---" for n in block.numeric()) + "|")
                out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in block.rows]
                out.append("")
            elif isinstance(block, Image):
                caption = _md(block.caption).replace("[", "(").replace("]", ")")
                out += [f"![{caption}]({image_dir}/{block.name}.png)", "", f"_{_md(block.caption)}_", ""]
    return "\n".join(out).rstrip() + "\n"


def write_report(pages: list[Page], out_dir: str | Path, title: str, meta: str = "") -> dict[str, Path]:
    """Write ``report.html``, ``report.md`` and ``figures/<name>.png`` into ``out_dir``.

    Every figure is rendered once and the same PNG goes into both. Returns the paths by kind
    (``html``, ``markdown``, ``figures``).
    """
    out = Path(out_dir)
    figures = out / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    images: dict[str, bytes] = {}
    for page in pages:
        for block in page.blocks:
            if isinstance(block, Image):
                if block.name in images or Path(block.name).name != block.name:
                    raise ValueError(f"image names must be unique file stems, got {block.name!r} twice or as a path")
                images[block.name] = png_bytes(block.figure)
                atomic_write(figures / f"{block.name}.png", lambda tmp, data=images[block.name]: tmp.write_bytes(data))
    html_text = render_html(title, pages, images, meta)
    md_text = render_markdown(title, pages, "figures", meta)
    return {
        "figures": figures,
        "markdown": atomic_write(out / "report.md", lambda tmp: tmp.write_text(md_text, encoding="utf-8")),
        "html": atomic_write(out / "report.html", lambda tmp: tmp.write_text(html_text, encoding="utf-8")),
    }
