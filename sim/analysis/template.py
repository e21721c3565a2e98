"""The report's HTML, as a Jinja2 template kept in Python so that it ships with the package.

Self-contained on purpose: no external stylesheet, script, font or image; the
figures are embedded as data: URIs, so the file can be mailed and opened
offline on a locked-down government computer. ``figure`` and ``cell`` make
the pieces the template fills in.
"""

import base64
from pathlib import Path


def figure(png: Path, fig_id: str, fig_title: str, fig_caption: str) -> dict:
    """A figure of the page, its PNG embedded."""
    data = base64.b64encode(png.read_bytes()).decode("ascii")
    return {"id": fig_id, "title": fig_title, "caption": fig_caption, "uri": f"data:image/png;base64,{data}"}


NBSP, WORD_JOINER = "\u00a0", "\u2060"


def cell(text: str, cls: str = "") -> dict:
    """A table cell; an estimate with its interval ('+2.9 万元 [2.2–3.5 万元]') may break only before the interval."""
    value, bracket, interval = text.partition(" [")
    if bracket:  # no break inside either part: not at a space, nor after the dash of '2.2–3.5'
        text = f"{value.replace(' ', NBSP)} [{interval.replace(' ', NBSP).replace('–', WORD_JOINER + '–' + WORD_JOINER)}"
    return {"text": text, "cls": cls}


REPORT = """<!DOCTYPE html>
<html lang="{{ 'zh-CN' if lang == 'zh' else 'en' }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} · {{ experiment }}</title>
<style>
  body { font-family: "{{ embedded_family }}", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", "Source Han Sans SC", "Helvetica Neue", Arial, sans-serif;
         max-width: 1060px; margin: 0 auto; padding: 24px 28px 60px; color: #222; line-height: 1.6; }
  h1 { font-size: 1.7em; margin-bottom: 0.1em; }
  h2 { font-size: 1.3em; border-bottom: 2px solid #c0392b; padding-bottom: 4px; margin-top: 2.2em; }
  .meta { color: #555; font-size: 0.92em; }
  .meta span { margin-right: 1.4em; white-space: nowrap; }
  .notice { background: #fff4e5; border-left: 4px solid #e67e22; padding: 10px 14px; margin: 14px 0; }
  .failure { background: #fdecea; border-left: 4px solid #c0392b; padding: 10px 14px; margin: 14px 0; }
  ul.findings li { margin-bottom: 0.6em; }
  p.lead { font-weight: 600; margin: 0.4em 0; }
  .caveat { color: #555; font-size: 0.92em; border-left: 4px solid #bbb; padding: 4px 12px; }
  figure { margin: 18px 0 26px; }
  figure img { width: 100%; height: auto; border: 1px solid #eee; }
  figcaption { color: #555; font-size: 0.9em; margin-top: 4px; }
  table { border-collapse: collapse; font-size: 0.88em; margin: 10px 0 20px; }
  th, td { border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: right; }
  th:first-child, td:first-child { text-align: left; }
  th { background: #f6f6f6; }
  td.better { color: #2a8a3e; font-weight: 600; }
  td.worse { color: #c0392b; font-weight: 600; }
  td.slightly_better { color: #5f9e6c; }
  td.slightly_worse { color: #c2776e; }
  /* numbers keep their unit: a cell breaks only where it has a plain space, before its interval */
  table:not(.glossary) td:not(:first-child) { word-break: keep-all; }
  table.glossary th, table.glossary td { text-align: left; vertical-align: top; }
  table.glossary td:nth-child(-n+2), table.glossary th:nth-child(-n+2) { white-space: nowrap; }
  code { background: #f3f3f3; padding: 1px 4px; border-radius: 3px; font-size: 0.92em; }
  .small { font-size: 0.85em; color: #555; }
</style>
</head>
<body>
<h1>{{ title }}</h1>
<div class="meta">
  <span>{{ w.experiment }}{{ colon }}<b>{{ experiment }}</b></span>
  <span>{{ w.baseline }}{{ colon }}<b>{{ baseline }}</b></span>
  <span>{{ runs_text }}</span>
  <span>{{ w.days }}{{ colon }}{{ days }}</span>
  <span>{{ w.config }}{{ colon }}<code>{{ config_hash }}</code></span>
  <span>{{ w.model_version }}{{ colon }}{{ model_version }}</span>
  <span>{{ w.generated }}{{ colon }}{{ generated }}</span>
</div>
{% if description %}<p>{{ description }}</p>{% endif %}
{% if caveat %}<p class="caveat">{{ caveat }}</p>{% endif %}
{% for note in notices %}<div class="notice">{{ note }}</div>{% endfor %}
{% if failures %}
<div class="failure">
  <b>{{ failures.headline }}</b>
  <table>
    <tr>{% for h in failures.header %}<th>{{ h }}</th>{% endfor %}</tr>
    {% for row in failures.rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>{% endfor %}
  </table>
  <div class="small">{{ failures.more }}</div>
</div>
{% endif %}

{% if findings %}
<h2>{{ w.findings }}</h2>
{% for s in leads %}<p class="lead">{{ s }}</p>{% endfor %}
<ul class="findings">{% for s in findings %}<li>{{ s }}</li>{% endfor %}</ul>
{% endif %}

{% for section in sections %}
<h2>{{ section.title }}</h2>
{% if section.intro %}<p>{{ section.intro }}</p>{% endif %}
{% if section.sentences %}<ul class="findings">{% for s in section.sentences %}<li>{{ s }}</li>{% endfor %}</ul>{% endif %}
{% for fig in section.figures %}
<figure id="{{ fig.id }}">
  <img alt="{{ fig.title }}" src="{{ fig.uri }}">
  <figcaption>{{ fig.caption }}</figcaption>
</figure>
{% endfor %}
{% for table in section.tables %}
{% if table.title %}<p class="small"><b>{{ table.title }}</b></p>{% endif %}
<table{% if table.cls %} class="{{ table.cls }}"{% endif %}>
  <tr>{% for h in table.header %}<th>{{ h }}</th>{% endfor %}</tr>
  {% for row in table.rows %}<tr>{% for cell in row %}<td{% if cell.cls %} class="{{ cell.cls }}"{% endif %}>{{ cell.text }}</td>{% endfor %}</tr>{% endfor %}
</table>{% if table.note %}<p class="small">{{ table.note }}</p>{% endif %}
{% endfor %}
{% endfor %}

<h2>{{ w.method }}</h2>
<ul class="small">{% for m in method %}<li>{{ m }}</li>{% endfor %}</ul>
</body>
</html>
"""
