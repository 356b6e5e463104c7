"""Writes model/streetchief/fonts/NotoSansSC-Subset.ttf: the Chinese font figures and pages use.

Noto Sans SC (SIL Open Font License 1.1, model/streetchief/fonts/OFL.txt), from the npm package
@fontsource/noto-sans-sc, cut down to the 3,755 most common characters (GB 2312 level 1), every
Chinese character the project's scenarios, cases and interface use, ASCII and common punctuation:
    npm pack @fontsource/noto-sans-sc && tar xzf fontsource-noto-sans-sc-*.tgz
    .venv/bin/python tools/make_font.py \
        package/files/noto-sans-sc-chinese-simplified-400-normal.woff
"""

import re
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "model" / "streetchief" / "fonts" / "NotoSansSC-Subset.ttf"
PUNCTUATION = "·×—–…“”‘’、。,:;!?()《》【】℃°±≥≤→←↑↓●■▲◆○□▶⏸⏮⏭✓✗"
FAMILY = "Noto Sans SC"
HAN = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def common_characters() -> set[str]:
    """GB 2312 level 1: the 3,755 most common characters, by the standard's own order."""
    out = set()
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            try:
                out |= set(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return out


def project_characters() -> set[str]:
    """Every Chinese character in the project's scenarios, cases, interface and notebooks."""
    files = [*ROOT.glob("scenarios/*.yaml"), *ROOT.glob("scenarios/*.csv")]
    files += [*ROOT.glob("model/streetchief/**/*.py"), ROOT / "notebooks" / "make_notebooks.py"]
    return {c for f in files for c in HAN.findall(f.read_text(encoding="utf-8"))}


def main(source: str) -> None:
    font = TTFont(source)
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    chars = common_characters() | project_characters() | set(map(chr, range(32, 127)))
    chars |= set(PUNCTUATION)
    sub = subset.Subsetter(options)
    sub.populate(unicodes=sorted(map(ord, chars)))
    sub.subset(font)
    # the package's instance is named "Thin" although its weight is 400: name it for what it is
    names = {1: FAMILY, 2: "Regular", 3: "NotoSansSC-Regular-subset", 4: f"{FAMILY} Regular"}
    names |= {6: "NotoSansSC-Regular", 16: FAMILY, 17: "Regular"}
    for record in list(font["name"].names):
        if record.nameID in names:
            font["name"].removeNames(nameID=record.nameID)
    for nid, text in names.items():
        font["name"].setName(text, nid, 3, 1, 0x409)
    font.flavor = None
    OUT.parent.mkdir(parents=True, exist_ok=True)
    font.save(OUT)
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes, {len(font.getBestCmap())} characters)")


if __name__ == "__main__":
    main(sys.argv[1])
