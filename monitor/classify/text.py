"""Text clean-up shared by training and inference: one function, so both see the same input.

Feeds deliver HTML fragments, entities, full-width characters and traditional
Chinese; the model should not have to learn each spelling separately.
"""

from __future__ import annotations

import html
import re
import unicodedata

# Long articles carry the signal in their first paragraphs; a bound keeps
# classification time flat whatever a feed sends.
MAX_TITLE_CHARS = 500
MAX_TEXT_CHARS = 4000
# Raw input is cut before the HTML pass so a multi-megabyte page costs little.
MAX_RAW_CHARS = 60_000

_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.I | re.S)
_TAG = re.compile(r"<[^>]{0,2000}>")
_SPACE = re.compile(r"\s+")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")

# Traditional -> simplified for characters common in export-control news.  Only
# applied to text without kana: Japanese keeps its own (shinjitai) forms.
_TRAD = (
    "國貿與許實體單兩鎵鍺銻鎢稀華為納審批務業產導電設備術發會關稅對進際據應製條規範證"
    "經濟戰略軍擴預營運輸貨廠灣臺陸歐韓盟裝陣內單價險環節鏈話談層級協議議東聯絡網禁門鑑"
    "戶選錄簽證罰處調查違嚴檢舉該類質標準領頒佈"
)
_SIMP = (
    "国贸与许实体单两镓锗锑钨稀华为纳审批务业产导电设备术发会关税对进际据应制条规范证"
    "经济战略军扩预营运输货厂湾台陆欧韩盟装阵内单价险环节链话谈层级协议议东联络网禁门鉴"
    "户选录签证罚处调查违严检举该类质标准领颁布"
)
_FOLD = str.maketrans(_TRAD, _SIMP)


def strip_html(raw: str) -> str:
    """Drop tags, scripts and entities; keep the visible words."""
    if "<" in raw:
        raw = _SCRIPT.sub(" ", raw)
        raw = _TAG.sub(" ", raw)
    if "&" in raw:
        raw = html.unescape(raw)
    return raw


def normalise(raw: str | None, limit: int) -> str:
    """HTML-free, NFKC, single-spaced, traditional folded to simplified, at most `limit` chars."""
    if not raw:
        return ""
    s = strip_html(str(raw)[:MAX_RAW_CHARS])
    if s.isascii():  # most English items: nothing to fold, skip the costly passes
        return " ".join(s.split())[:limit]
    s = unicodedata.normalize("NFKC", s)
    s = _SPACE.sub(" ", s).strip()[:limit]
    if not _KANA.search(s):
        s = s.translate(_FOLD)
    return s


def detect_lang(text: str) -> str:
    """en / zh / ja by script: kana means Japanese, mostly Han means Chinese."""
    if _KANA.search(text):
        return "ja"
    han = len(_HAN.findall(text[:1000]))
    latin = len(_LATIN.findall(text[:1000]))
    return "zh" if han and han * 2 >= latin else "en"


def fold_cue(cue: str) -> str:
    """Normalise a cue phrase exactly as the text it must match."""
    s = unicodedata.normalize("NFKC", cue).strip()
    if not _KANA.search(s):
        s = s.translate(_FOLD)
    return s
