"""Text clean-up shared by training and inference: one function, so both see the same input.

Feeds deliver HTML fragments, entities, full-width characters and traditional
Chinese; the model should not have to learn each spelling separately.
"""

from __future__ import annotations

import re
import unicodedata

from monitor.text import count_han, detect_script_lang, has_kana, html_to_text

# Long articles carry the signal in their first paragraphs; a bound keeps
# classification time flat whatever a feed sends.
MAX_TITLE_CHARS = 500
MAX_TEXT_CHARS = 4000
# Raw input is cut before the HTML pass so a multi-megabyte page costs little.
MAX_RAW_CHARS = 60_000

_SPACE = re.compile(r"\s+")
_LATIN = re.compile(r"[A-Za-z]")

# Traditional -> simplified for characters common in export-control news.  Only
# applied to text without kana: Japanese keeps its own (shinjitai) forms.
_TRAD = (
    "國貿與許實體單兩鎵鍺銻鎢稀華為納審批務業產導電設備術發會關稅對進際據應製條規範證經濟戰略"
    "軍擴預營運輸貨廠灣臺陸歐韓盟裝陣內價險環節鏈話談層級協議東聯絡網禁門鑑戶選錄簽罰處調查違"
    "嚴檢舉該類質標準領頒佈鈷鈾鎳鋰鉍鉬銦釹鏑鋱釤釓鑭鈦鋁銅鐵鋼剛濃縮輝憶記機將邊權報擊資訊學"
    "腦億萬漲幣結構總統長開問題們這個來時間後從稱於並區書語數現認護偵辦獲誤讓買賣專禮暫達鍵隊"
    "購銷獨衛態災鬥簡勢轉鄰鎖雙說讀寫響觀點黨飛彈艦繼續員覽"
)
_SIMP = (
    "国贸与许实体单两镓锗锑钨稀华为纳审批务业产导电设备术发会关税对进际据应制条规范证经济战略"
    "军扩预营运输货厂湾台陆欧韩盟装阵内价险环节链话谈层级协议东联络网禁门鉴户选录签罚处调查违"
    "严检举该类质标准领颁布钴铀镍锂铋钼铟钕镝铽钐钆镧钛铝铜铁钢刚浓缩辉忆记机将边权报击资讯学"
    "脑亿万涨币结构总统长开问题们这个来时间后从称于并区书语数现认护侦办获误让买卖专礼暂达键队"
    "购销独卫态灾斗简势转邻锁双说读写响观点党飞弹舰继续员览"
)
_FOLD = str.maketrans(_TRAD, _SIMP)


def normalise(raw: str | None, limit: int) -> str:
    """HTML-free, NFKC, single-spaced, traditional folded to simplified, at most `limit` chars."""
    if not raw:
        return ""
    s = html_to_text(str(raw)[:MAX_RAW_CHARS])
    if s.isascii():  # most English items: nothing to fold, skip the costly passes
        return " ".join(s.split())[:limit]
    s = unicodedata.normalize("NFKC", s)
    s = _SPACE.sub(" ", s).strip()[:limit]
    if not has_kana(s):
        s = s.translate(_FOLD)
    return s


def detect_lang(text: str) -> str:
    """en / zh / ja: the shared script guess, narrowed to the classifier's three languages.

    Kana anywhere means Japanese; Han (whatever else the text holds) means Chinese
    only when it makes up at least a third of the first 1000 letters, else English.
    """
    guess = detect_script_lang(text)
    if guess == "ja":
        return "ja"
    if guess is None or guess == "ru":  # no Han anywhere
        return "en"
    han = count_han(text[:1000])
    latin = len(_LATIN.findall(text[:1000]))
    return "zh" if han and han * 2 >= latin else "en"


def fold_cue(cue: str) -> str:
    """Normalise a cue phrase exactly as the text it must match."""
    s = unicodedata.normalize("NFKC", cue).strip()
    if not has_kana(s):
        s = s.translate(_FOLD)
    return s
