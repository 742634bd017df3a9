"""Pure fact extraction: announcement numbers, effective dates, ECCNs, items, listed entities.

Regex tables, no model: analysts want these verbatim and a miss is better than
an invented number.  Every function takes strings and returns lists of strings.
"""

from __future__ import annotations

import re

_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december"]
_MON = {m[:3]: i + 1 for i, m in enumerate(_MONTHS)}
_MONTH_RE = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|" \
            r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"

_MOFCOM = re.compile(r"mofcom|商务部|商務省|china'?s? (?:ministry of commerce|commerce ministry)",
                     re.I)
_ANN_EN = re.compile(
    r"announcements?\b[^.;:]{0,25}?((?:nos?\.?\s*\d{1,3}\s*(?:,|and|&)?\s*)+)"
    r"(?:of\s+(?:the\s+year\s+)?|\[|\(|in\s+)(20\d\d)", re.I)
_ANN_EN_REV = re.compile(r"\b(20\d\d)\s+announcements?\s+nos?\.?\s*(\d{1,3})", re.I)
_ANN_CJK = re.compile(r"(20\d\d)\s*年\s*第\s*(\d{1,3}(?:\s*[、,，和及与]\s*第?\s*\d{1,3})*)\s*号")
_NUM = re.compile(r"\d{1,3}")

_EFF_EN = re.compile(
    r"(?:effective|takes? effect|took effect|in effect|enters? into force|entered into force|"
    r"comes? into force|came into force|will apply|starting|applies)\s+(?:from\s+|on\s+|as of\s+)?"
    r"(?:" + _MONTH_RE + r"\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(20\d\d))?|(\d{1,2})\s+"
    + _MONTH_RE + r"(?:\s+(20\d\d))?)")  # matched on lower-cased text: no re.I
_EFF_ZH = re.compile(r"自\s*(?:(20\d\d)\s*年)?\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*起")
_EFF_ZH2 = re.compile(r"(?:(20\d\d)\s*年)?(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*(?:起|から)?\s*"
                      r"(?:正式)?(?:施行|实施|生效|発動|施行する|適用|实行)")
_EFF_PUB = re.compile(r"自(?:公布|发布)之日起")

_ECCN = re.compile(r"(?<![A-Za-z0-9])([0-9][A-E][0-9]{3}(?:\.[a-z](?:\.\d{1,2})?)?)(?![A-Za-z0-9])")
_ECCN_CONTEXT = re.compile(r"eccn|export control classification|ccl|commerce control list|"
                           r"\b[0-9][A-E][0-9]{3}\b.{0,40}\b[0-9][A-E][0-9]{3}\b|ear99|"
                           r"管制编码|出口管制分类", re.I)

# canonical name -> phrases (lower-case Latin matched on word starts, CJK as substrings)
ITEM_TABLE: list[tuple[str, tuple[str, ...]]] = [
    ("rare earth magnets", ("rare earth magnet", "rare-earth magnet", "稀土磁体", "永磁",
                            "レアアース磁石", "ネオジム磁石")),
    ("rare earths", ("rare earth", "rare-earth", "稀土", "レアアース", "希土類")),
    ("dysprosium", ("dysprosium", "镝", "ジスプロシウム")),
    ("terbium", ("terbium", "铽", "テルビウム")),
    ("samarium", ("samarium", "钐")),
    ("gallium", ("gallium", "镓", "ガリウム")),
    ("germanium", ("germanium", "锗", "ゲルマニウム")),
    ("antimony", ("antimony", "锑", "アンチモン")),
    ("graphite", ("graphite", "石墨", "黒鉛", "グラファイト")),
    ("tungsten", ("tungsten", "钨", "タングステン")),
    ("indium", ("indium", "铟")),
    ("molybdenum", ("molybdenum", "钼")),
    ("lithium battery technology", ("lithium battery", "锂电池", "リチウム電池")),
    ("superhard materials", ("superhard material", "超硬材料")),
    ("HBM", ("hbm", "high-bandwidth memory", "high bandwidth memory", "高带宽存储",
             "広帯域メモリー")),
    ("AI chips", ("ai chip", "advanced computing chip", "h20", "h200", "mi308", "人工智能芯片",
                  "先进计算芯片")),
    ("chipmaking equipment", ("chipmaking equipment", "chip-making equipment",
                              "semiconductor manufacturing equipment", "chip tools",
                              "半导体制造设备", "光刻机", "製造装置", "lithography")),
    ("EDA software", ("eda", "chip design software", "chip design tools", "电子设计自动化")),
    ("drones", ("drone", "uav", "无人机", "無人機")),
    ("dual-use items", ("dual-use item", "dual-use good", "两用物项", "軍民両用", "両用品")),
    ("critical software", ("critical software", "关键软件")),
    ("hydrogen fluoride", ("hydrogen fluoride", "フッ化水素", "氟化氢")),
    ("photoresist", ("photoresist", "resist", "光刻胶", "レジスト")),
]

_ENT_EN = re.compile(
    r"\b(?:add(?:s|ed|ing)?|put(?:s|ting)?|plac(?:es|ed|ing)|list(?:s|ed|ing)?|blacklist(?:s|ed)?)"
    r"\s+(.{3,160}?)\s+(?:to|on)\s+(?:the\s+|its\s+)?((?:US\s+|U\.S\.\s+)?"
    r"(?:entity list|unverified list|unreliable entity list|export control (?:control )?list|"
    r"military end.user list))", re.I)
_ENT_ZH = re.compile(r"将(.{2,80}?)(?:等\d+家[^，。]{0,12})?(?:列入|纳入)(?:出口管制)?"
                     r"(管控名单|实体清单|不可靠实体清单|关注名单|管制名单)")
_SPLIT = re.compile(r"\s*(?:,|、|，|;|\band\b|及|和)\s*")


def _unique(xs: list[str]) -> list[str]:
    return list(dict.fromkeys(xs))  # first occurrence wins, order kept


def announcements(text: str) -> list[str]:
    # Cheap substring checks first: most items carry no announcement at all, and the
    # case-insensitive patterns are the costliest part of classifying an item.
    latin = "nnouncement" in text or "NNOUNCEMENT" in text
    if not latin and "号" not in text:
        return []
    issuer = "MOFCOM " if _MOFCOM.search(text) else "Announcement "
    out: list[str] = []
    for m in _ANN_EN.finditer(text) if latin else ():
        out += [f"{issuer}{m.group(2)} No. {int(n)}" for n in _NUM.findall(m.group(1))]
    for m in _ANN_EN_REV.finditer(text) if latin else ():
        out.append(f"{issuer}{m.group(1)} No. {int(m.group(2))}")
    for m in _ANN_CJK.finditer(text) if "号" in text else ():
        near = text[max(0, m.start() - 12):m.end() + 4]
        if "公告" in near or "告示" in near:
            out += [f"{issuer}{m.group(1)} No. {int(n)}" for n in _NUM.findall(m.group(2))]
    return _unique(out)


def _date(year: str | None, month: int, day: int) -> str:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return ""
    if year:
        return f"{int(year):04d}-{month:02d}-{day:02d}"
    return f"{_MONTHS[month - 1].capitalize()} {day}"


def effective_dates(text: str) -> list[str]:
    out: list[str] = []
    low = text.lower()
    latin = any(w in low for w in ("effect", "force", "apply", "applies", "starting"))
    for m in _EFF_EN.finditer(low) if latin else ():
        if m.group(1):
            out.append(_date(m.group(3), _MON[m.group(1)[:3].lower()], int(m.group(2))))
        else:
            out.append(_date(m.group(6), _MON[m.group(5)[:3].lower()], int(m.group(4))))
    for pat in (_EFF_ZH, _EFF_ZH2) if "月" in text else ():
        for m in pat.finditer(text):
            out.append(_date(m.group(1), int(m.group(2)), int(m.group(3))))
    if _EFF_PUB.search(text):
        out.append("on publication")
    return _unique([d for d in out if d])


def eccns(text: str) -> list[str]:
    found = _ECCN.findall(text)
    # A lone code-like token ("5G", "1A") is common; demand ECCN context or several codes.
    if not found or not _ECCN_CONTEXT.search(text):
        return []
    return _unique(found)


def _item_regex() -> tuple[re.Pattern[str], re.Pattern[str], dict[str, str]]:
    names: dict[str, str] = {}
    for name, phrases in ITEM_TABLE:
        for p in phrases:
            names.setdefault(p, name)
    ordered = sorted(names, key=lambda p: (-len(p), p))
    latin = "|".join(re.escape(p) for p in ordered if p.isascii())
    cjk = "|".join(re.escape(p) for p in ordered if not p.isascii())
    # Two patterns, not one: a mixed alternation defeats sre's prefix scan (10x slower).
    return re.compile(rf"(?<![a-z0-9])(?:{latin})"), re.compile(cjk), names


_ITEM_LATIN, _ITEM_CJK, _ITEM_NAMES = _item_regex()


def items(text: str) -> list[str]:
    low = text.lower()
    found = [(m.start(), m.group(0)) for rx in (_ITEM_LATIN, _ITEM_CJK) for m in rx.finditer(low)]
    names = _unique([_ITEM_NAMES[p] for _, p in sorted(found)])
    if "rare earth magnets" in names and "rare earths" in names:
        names.remove("rare earths")  # the narrower name says more
    return names


def _clean_entity(s: str) -> str:
    s = re.sub(r"^(?:the|some|more than|over|another|an additional)\s+", "", s.strip(), flags=re.I)
    return s.strip(" .\"'“”「」《》")


_ENT_HINT = ("list", "名单", "清单")


def entities(text: str) -> list[str]:
    out: list[str] = []
    low = text.lower()
    if not any(h in low for h in _ENT_HINT):  # every entity pattern ends in a list's name
        return out
    for m in _ENT_EN.finditer(text) if "list" in low else ():
        for part in _SPLIT.split(m.group(1)):
            part = _clean_entity(part)
            if part and len(part) <= 80 and not re.fullmatch(r"\d+\s*\w*", part):
                out.append(part)
    for m in _ENT_ZH.finditer(text):
        for part in _SPLIT.split(m.group(1)):
            part = _clean_entity(part)
            if part and len(part) <= 40:
                out.append(part)
    return _unique(out)


def extract_facts(title: str, text: str) -> dict[str, list[str]]:
    """All facts from title + text; keys are always present, lists may be empty."""
    full = f"{title or ''}\n{text or ''}"
    return {
        "announcements": announcements(full),
        "effective_dates": effective_dates(full),
        "eccns": eccns(full),
        "items": items(full),
        "entities": entities(full),
    }
