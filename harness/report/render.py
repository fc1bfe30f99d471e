"""A report is a list of blocks (headings, paragraphs, tables, figures) rendered twice: as one
self-contained HTML page (figures embedded as base64 PNG, inline CSS, no external resource, so
it opens offline anywhere) and as Markdown with the PNGs beside it in ``figures/``. Both come
from the same blocks, so they always say the same thing."""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field


@dataclass
class Heading:
    level: int
    text: str


@dataclass
class Para:
    text: str


@dataclass
class Cell:
    text: str
    bold: bool = False


@dataclass
class Table:
    header: list[str]
    rows: list[list[Cell]]
    caption: str = ""
    text_columns: int = 1  # leading columns of names (left-aligned); the rest are numbers


@dataclass
class Figure:
    name: str  # file name under figures/, e.g. "curves-nb201-cifar10.png"
    png: bytes
    caption: str = ""


@dataclass
class Report:
    title: str
    blocks: list = field(default_factory=list)


CSS = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 0 auto;
       max-width: 1320px; padding: 1.5em 2em; color: #1d1d1f; line-height: 1.45; }
h1 { font-size: 1.7em; border-bottom: 2px solid #ddd; padding-bottom: .3em; }
h2 { font-size: 1.35em; margin-top: 2em; border-bottom: 1px solid #eee; padding-bottom: .2em; }
h3 { font-size: 1.1em; margin-top: 1.5em; }
p { max-width: 70em; }
.table-wrap { overflow-x: auto; margin: .8em 0 1.2em; }
table { border-collapse: collapse; font-size: .88em; font-variant-numeric: tabular-nums; }
.caption { color: #555; margin: 1em 0 .3em; font-size: .92em; }
th, td { border: 1px solid #d8d8d8; padding: .3em .65em; text-align: right; white-space: nowrap; }
th { background: #f3f4f6; }
th.name, td.name { text-align: left; }
tr:nth-child(even) td { background: #fafafa; }
td strong { color: #0b5; }
figure { margin: 1em 0 1.8em; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: .9em; }
"""


def to_html(report: Report) -> str:
    """One self-contained HTML page."""
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{html.escape(report.title)}</title><style>{CSS}</style></head><body>",
             f"<h1>{html.escape(report.title)}</h1>"]
    for block in report.blocks:
        if isinstance(block, Heading):
            parts.append(f"<h{block.level}>{html.escape(block.text)}</h{block.level}>")
        elif isinstance(block, Para):
            parts.append(f"<p>{html.escape(block.text)}</p>")
        elif isinstance(block, Table):
            parts.append(_html_table(block))
        elif isinstance(block, Figure):
            data = base64.b64encode(block.png).decode("ascii")
            parts.append(f'<figure><img alt="{html.escape(block.caption or block.name)}" '
                         f'src="data:image/png;base64,{data}">'
                         f"<figcaption>{html.escape(block.caption)}</figcaption></figure>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _html_table(table: Table) -> str:
    def cell(tag: str, index: int, text: str, bold: bool = False) -> str:
        cls = ' class="name"' if index < table.text_columns else ""
        text = html.escape(text)
        return f"<{tag}{cls}>{f'<strong>{text}</strong>' if bold else text}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(table.header))
    body = "".join("<tr>" + "".join(cell("td", i, c.text, c.bold) for i, c in enumerate(row))
                   + "</tr>" for row in table.rows)
    caption = f'<p class="caption">{html.escape(table.caption)}</p>' if table.caption else ""
    return (f'{caption}<div class="table-wrap"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def to_markdown(report: Report, figure_dir: str = "figures") -> str:
    """Markdown that links the PNGs under ``figure_dir`` (relative to the .md file)."""
    parts = [f"# {report.title}", ""]
    for block in report.blocks:
        if isinstance(block, Heading):
            parts += ["#" * block.level + " " + block.text, ""]
        elif isinstance(block, Para):
            parts += [block.text, ""]
        elif isinstance(block, Table):
            if table_caption := block.caption:
                parts += [table_caption, ""]
            parts.append("| " + " | ".join(_md(h) for h in block.header) + " |")
            parts.append("|" + "|".join("---" for _ in block.header) + "|")
            for row in block.rows:
                parts.append("| " + " | ".join(
                    f"**{_md(c.text)}**" if c.bold else _md(c.text) for c in row) + " |")
            parts.append("")
        elif isinstance(block, Figure):
            parts += [f"![{_md(block.caption or block.name)}]({figure_dir}/{block.name})", ""]
            if block.caption:
                parts += [f"*{block.caption}*", ""]
    return "\n".join(parts)


def figures(report: Report) -> list[Figure]:
    return [b for b in report.blocks if isinstance(b, Figure)]


def _md(text: str) -> str:
    return text.replace("|", "\\|")
