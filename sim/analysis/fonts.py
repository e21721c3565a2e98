"""A font that has Chinese glyphs, so Chinese figures never show boxes.

Matplotlib's own DejaVu Sans has no CJK glyphs: without another font every
Chinese character is drawn as a box (*measured*: 41 missing-glyph warnings on
one chart). The package depends on ``pylopdf-fonts-zh-cn``, a PyPI wheel that
ships Noto Sans SC under the SIL Open Font License; fonts already installed
on the system are the fallback. With none, the report falls back to English
and says why.

The report's own text is drawn by the reader's browser, which may have no
Chinese font either (a Linux desktop or server without ``fonts-noto-cjk``):
the report therefore carries the packaged font too, cut down to the Chinese
characters it uses (:func:`font_face_css`).
"""

from __future__ import annotations

import base64
import io
from functools import cache
from pathlib import Path

from matplotlib import font_manager

# Families known to cover simplified Chinese, in order of preference.
SYSTEM_FAMILIES = ("Noto Sans SC", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", "SimHei")


def packaged_font() -> Path | None:
    """Noto Sans SC from the pylopdf-fonts-zh-cn wheel, if installed."""
    try:
        import pylopdf_fonts_zh_cn
    except ImportError:
        return None
    path = Path(pylopdf_fonts_zh_cn.sans_path())
    return path if path.is_file() else None


@cache
def chinese_family() -> str | None:
    """The family name of a usable Chinese font, registered with matplotlib; None if there is none."""
    path = packaged_font()
    if path is not None:
        font_manager.fontManager.addfont(str(path))
        return font_manager.FontProperties(fname=str(path)).get_name()
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((family for family in SYSTEM_FAMILIES if family in installed), None)


def rc_for(lang: str) -> dict:
    """Matplotlib settings for figures in ``lang``.

    For Chinese the CJK font comes first and DejaVu Sans after it: matplotlib
    falls back glyph by glyph, so symbols the CJK font lacks still render.
    """
    # parse_math off: a planner's label ('Cut $5 to $10') is text, not TeX to set or fail on.
    base = {"font.size": 10, "svg.fonttype": "path", "axes.unicode_minus": True, "text.parse_math": False}
    family = chinese_family() if lang == "zh" else None
    if family:
        base["font.family"] = [family, "DejaVu Sans"]
    return base


EMBEDDED_FAMILY = "govsim Noto Sans SC"
"""The family name of the font a report carries (first in the template's font list)."""


def font_face_css(text: str) -> str:
    """An ``@font-face`` rule that embeds the packaged Noto Sans SC, cut down to the Chinese
    characters of ``text`` (CJK and full-width forms), as base64 WOFF; "" if ``text`` has none
    or no packaged font can be cut.

    A report uses some 400 distinct characters: about 70 KB against the whole font's 8 MB.
    Latin text keeps the reader's own fonts: the cut font has no Latin glyphs.
    """
    chars = "".join(sorted({c for c in text if ord(c) >= 0x2E80}))
    path = packaged_font()
    if not chars or path is None:
        return ""
    try:
        from fontTools import subset  # a dependency of matplotlib
        from fontTools.ttLib import TTFont

        font = TTFont(str(path), lazy=True)
        subsetter = subset.Subsetter(subset.Options(hinting=False, desubroutinize=True))
        subsetter.populate(text=chars)
        subsetter.subset(font)
        font.flavor = "woff"
        data = io.BytesIO()
        font.save(data)
    except Exception:  # noqa: BLE001 - a report is never worth failing for a font: the reader's fonts stand in
        return ""
    encoded = base64.b64encode(data.getvalue()).decode("ascii")
    return f'@font-face {{ font-family: "{EMBEDDED_FAMILY}"; src: url(data:font/woff;base64,{encoded}) format("woff"); }}'
