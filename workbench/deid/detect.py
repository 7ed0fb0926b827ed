"""Find identifiers in free text that nobody listed: names, phones, ID numbers, addresses.

The cleaner (:class:`workbench.deid.text.Redactor`) removes what these
detectors find, besides the values it knows; the verifier
(:mod:`workbench.deid.verify`) runs them over every output on its own. Each
detector is a pattern with a cue or a check that keeps clinical text intact:

* **names**: a cue (``patient``, ``pt``, ``mother``, ``Dr.``, ``referred by``,
  ``患者``, ``母亲``, ``姓名：``, ``医师`` ...) followed by a Western name
  (``John Smith``), a name in capitals (pinyin ``ZHOUXINYI``, ``CHEN LIHUA``) or
  a Chinese name (a common surname and one or two given-name characters, or any
  two to four characters after ``姓名``); DICOM person-name notation
  (``ZHANG^SAN``); a Chinese surname with a title (``王医生``, ``陈女士``);
* **phones**: Chinese mobiles (``1[3-9]`` and 9 digits), landlines with an area
  code (``010-12345678``, ``(0755) 8765 4321``), international numbers
  (``+86 139 1234 5678``, ``+1 (212) 555-0100``), any number after ``tel``/``电话``;
* **resident ID numbers**: 18 digits (the last may be ``X``) whose ISO 7064
  MOD 11-2 check digit is right and whose birth date is valid, and the old
  15-digit form;
* **e-mail addresses**;
* **addresses**: Chinese (two administrative levels such as ``省``/``市``/``区``, or a
  road with a house number: ``中山路88号``), English (``221 Baker Street``), and
  anything after ``address``/``地址``/``住址``;
* **record numbers**: any value after ``MRN``, ``accession``, ``insurance``,
  ``住院号``, ``病案号``, ``医保号`` ... and any other run of 8 or more digits that is
  not a date.

>>> [(f.kind.value, f.text) for f in find_identifiers(
...     "pt ZHOUXINYI, mother CHENLIHUA, tel 13912345678")]
[('name', 'ZHOUXINYI'), ('name', 'CHENLIHUA'), ('phone', '13912345678')]
>>> [(f.kind.value, f.text) for f in find_identifiers("患者周欣怡，女，住院号：ZY2023-0456")]
[('name', '周欣怡'), ('record_number', 'ZY2023-0456')]
>>> find_identifiers("右膝关节MRI：内侧半月板后角撕裂，黄韧带肥厚。Rows 128, right knee.")
[]
>>> is_resident_id("11010519491231002X"), is_resident_id("110105194912310021")
(True, False)
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from workbench.vocab import body_part_from_text, side_from_text

__all__ = ["Finding", "Kind", "find_identifiers", "is_resident_id"]


class Kind(StrEnum):
    """What a finding is (a column of the verifier's report)."""

    NAME = "name"
    PHONE = "phone"
    RESIDENT_ID = "resident_id"
    EMAIL = "email"
    ADDRESS = "address"
    RECORD_NUMBER = "record_number"
    ID = "id"
    BIRTH_DATE = "birth date"
    DATE = "date"
    UID = "uid"
    OTHER = "other"


@dataclass(frozen=True)
class Finding:
    """One identifier found in a text: where (``start``/``end``), what, and the text."""

    start: int
    end: int
    kind: Kind
    text: str


# --- data ------------------------------------------------------------------------------

#: The most common Chinese surnames (the first ~150 of the 2020 census) and compound ones.
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩邓冯曹彭曾肖田董潘袁蔡蒋余于杜叶程"
    "魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾"
    "龚邵万覃武钱戴严莫孔向常汤康易乔赖文施洪辛柯庄葛涂殷聂申岳牛骆柴关耿甘童符鲁詹阎凌祝詹欧"
    "包左温邢华谷翟倪齐单焦俞舒蓝滕卓蒙饶季时安褚伍尚裴霍樊"
)
COMPOUND_SURNAMES = frozenset(
    {"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "司徒", "令狐"}
)
_SURNAME_RE = "(?:" + "|".join(sorted(COMPOUND_SURNAMES)) + "|[" + "".join(sorted(SURNAMES)) + "])"
_HAN = r"[\u3400-\u4dbf\u4e00-\u9fff]"
#: Characters after which a Chinese name has ended (sex, age, a side, punctuation ...).
_NAME_END = (
    r"(?=$|[^\u3400-\u4dbf\u4e00-\u9fff]"
    r"|[男女右左双因于在自诉主今昨近半一二三四五六七八九十岁性先签说称陪同告电来])"
)
#: Characters that are not the first of a given name (function words, clinical words).
_GIVEN = (
    r"(?![于在因为有已无未被将对行做接经是的了和与及或并又也就都从向到把让使由而但等曾前后"
    r"年月日时周次天左右双侧膝髋肩踝腰颈椎骨痛疼肿术部血压糖尿病症状规])" + _HAN
)

#: Words that introduce a person's name, English (any case) and Chinese.
_CUES_EN = (
    r"patient(?:'s)?(?:\s+name)?|pt\.?|name|mother|father|mum|mom|dad|son|daughter|wife"
    r"|husband|brother|sister|spouse|partner|guardian|relative|parent|uncle|aunt|cousin"
    r"|grand(?:mother|father|son|daughter)|friend|contact|next\s+of\s+kin|nok|caregiver|carer"
    r"|signed(?:\s+by)?|referred\s+by|referring(?:\s+(?:physician|doctor))?|physician|surgeon"
    r"|radiologist|technologist|technician|operator|nurse|doctor|attending|consultant"
    r"|(?:reported|read|dictated|verified|approved|performed|seen|examined|typed)\s+by"
)
_TITLES_EN = r"(?-i:Dr|Mr|Mrs|Ms|Miss|Mx|Prof|Sir|Madam|DR\.|MR\.|MRS\.|MS\.|PROF\.)"
_CUES_ZH = (
    "患者姓名|病人姓名|姓名|患者|病人|病患|就诊人|受检者|被检者|检查者|本人|母亲|父亲|妈妈|爸爸"
    "|妻子|丈夫|儿子|女儿|家属|亲属|联系人|监护人|配偶|爱人|哥哥|姐姐|弟弟|妹妹|爷爷|奶奶|外公|外婆"
    "|报告医师|审核医师|检查医师|申请医师|申请医生|送检医生|主治医师|住院医师|主任医师|医师|医生"
    "|报告者|审核者|记录者|操作者|技师|护士|签名|签字|母|父|妻|夫"
)
_TITLES_ZH = "先生|女士|小姐|医生|医师|大夫|主任|教授|护士|老师|同志"
#: Capitalised words that follow a cue without being a name.
_NOT_NAME_WORDS = """
a an the and or of in on at to for with without from by is was has had have had be been
presents presented reports reported complains complained denies underwent history name
names id no number mrn dob age sex male female unknown anon anonymous anonymized redacted
none nil n/a na patient pt mother father contact phone tel mobile email address case study
series image images exam examination report scan mri ct us xr cr dx mr pet nm bmi left
right bilateral both side knee hip spine with post pre status note notes comment comments
info information details data record records file copy consent consented yes not see per
position positioning protocol prone supine standing routine characteristics option options
profile
"""
_NOT_NAMES = frozenset(_NOT_NAME_WORDS.split())

_PN_NOTATION = re.compile(
    r"(?<![A-Za-z0-9^])[A-Za-z][A-Za-z'\-]*\^[A-Za-z][A-Za-z'\-]*(?:\^[A-Za-z'\-]*){0,3}"
    r"|" + _HAN + r"{1,2}\^" + _HAN + r"{1,3}"
)
_CAP_WORD = r"(?-i:[A-Z][a-zA-Z'\-]+)(?![\w\-])"
_LATIN_NAME = re.compile(
    r"(?<![A-Za-z])(?:" + _CUES_EN + r"|" + _TITLES_EN + r")(?![A-Za-z])[\s.:：,=#\-]*"
    r"(?:is\s+|was\s+)?(?:"
    + _TITLES_EN
    + r"\.?\s*)?(?P<name>"
    + _CAP_WORD
    + r"(?:[ \t]+"
    + _CAP_WORD
    + r"){0,2})",
    re.IGNORECASE,
)
_ZH_CUED = re.compile(
    rf"(?:{_CUES_ZH})[\s:：,，=]*(?P<name>{_SURNAME_RE}(?:{_GIVEN}){{1,2}}?){_NAME_END}"
)
_ZH_LABELLED = re.compile(r"姓\s*名\s*[:：]?\s*(?P<name>" + _HAN + r"{2,4}?)" + _NAME_END)
_ZH_LATIN = re.compile(
    r"(?:" + _CUES_ZH + r")[\s:：,，=]*(?P<name>[A-Z]{2,}(?:[ \t]+[A-Z]{2,}){0,2})(?![A-Za-z])"
)
_AFTER_CUE = re.compile(r"(?:" + _CUES_ZH + r")$")
_ZH_TITLED = re.compile(
    r"(?P<name>" + _SURNAME_RE + r"(?:" + _GIVEN + r"){0,2}?)(?:" + _TITLES_ZH + r")"
)

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_PHONES = [
    re.compile(r"(?<![\d+])(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)"),  # CN mobile
    re.compile(r"(?<![\d.])(?:\(0\d{2,3}\)|0\d{2,3})[\s-]?\d{3,4}[\s-]?\d{4}(?![\d.])"),
    re.compile(r"(?<![\w+])\+\d{1,3}(?:[\s.-]?\(?\d{1,4}\)?){2,5}(?!\d)"),  # international
    re.compile(r"(?<![\d.])\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}(?![\d.])"),  # North America
    re.compile(
        r"(?:tel(?:ephone)?|phone|mobile|cell|fax|ph|电话|手机|联系电话|联系方式|座机)\.?"
        r"[\s:：#=]*(?P<value>\+?[\d(][\d\s().-]{4,}\d)",
        re.IGNORECASE,
    ),
]
_RESIDENT = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
_RECORD_CUES = (
    r"mrn|mr\s*(?:no|#|number)|med(?:ical)?\s*rec(?:ord)?s?\s*(?:no|#|number|id)?|acc(?:ession)?"
    r"\s*(?:no|#|number|id)?|accession|insurance\s*(?:no|#|number|id|card)?|policy\s*(?:no|#|number)?"
    r"|patient\s*(?:id|no|#|number)|pid|case\s*(?:no|#|number|id)|hosp(?:ital)?\s*(?:no|#|number|id)"
    r"|visit\s*(?:no|#|number|id)|adm(?:ission)?\s*(?:no|#|number|id)|ssn|nhs\s*(?:no|number)?"
    r"|id\s*(?:no|#|number)|id(?=\s*[:：#])|住院号|门诊号|病案号|病历号|检查号|影像号|登记号|医保号|社保号|医保卡号"
    r"|就诊卡号|就诊号|身份证号码|身份证号|身份证|卡号|ID号|检查编号|放射号|流水号|保险号|档案号|床号"
)
_RECORD = re.compile(
    r"(?<![A-Za-z])(?:" + _RECORD_CUES + r")(?![a-z])[\s.:：#=]*(?:-(?=\d))?"
    r"(?P<value>(?=[A-Za-z\-/]*\d)[A-Za-z0-9][A-Za-z0-9\-/]*)",
    re.IGNORECASE,
)
_LONG_NUMBER = re.compile(r"(?<![\w.,:])\d{8,}(?![\w.,])")
_ADDRESS_CUED = re.compile(
    r"(?:home\s+address|address|addr|住址|地址|家庭住址|现住址|户籍地址|联系地址|居住地)\.?\s*[:：]\s*"
    r"(?P<value>[^\n;；。|]{4,80}?)(?=$|[\n;；。|]|\s{2,})",
    re.IGNORECASE,
)
_ADMIN = r"(?:省|自治区|市|自治州|区|县|旗|镇|乡|街道)"
_ROAD = r"(?:路|街|大道|巷|弄|胡同)"
_UNIT = r"(?:[\d\-]+(?:栋|幢|楼|单元|室|号))*"
_ZH_ADDRESS = re.compile(
    rf"{_HAN}{{2,7}}?(?:省|自治区|市)(?:{_HAN}{{1,7}}?{_ADMIN})+(?:{_HAN}{{1,10}}?(?:{_ROAD}|村))?"
    rf"(?:\s*[\d一二三四五六七八九十]+\s*号)?{_UNIT}"
    rf"|{_HAN}{{1,10}}?{_ROAD}\s*\d+\s*号{_UNIT}"
)
_EN_ADDRESS = re.compile(
    r"(?<![\w.])\d{1,5}[A-Za-z]?\s+(?:[A-Z][a-z]+\s+){1,4}"
    r"(?:Street|St|Road|Rd|Avenue|Ave|Boulevard|Blvd|Lane|Ln|Drive|Court|Ct|Way|Place|Pl"
    r"|Terrace|Close|Crescent|Highway|Hwy|Square|Sq|Parkway)\b\.?(?:,\s*[A-Z][a-z]+(?:\s[A-Z][a-z]+)?)?"
)


# --- detectors ----------------------------------------------------------------------------


def is_resident_id(number: str) -> bool:
    """True for a Chinese resident ID number: 18 characters with a valid check digit and
    birth date (GB 11643, ISO 7064 MOD 11-2), or the 15-digit form with a valid birth date."""
    number = number.strip().upper()
    if re.fullmatch(r"\d{15}", number):
        return number[0] in "12345678" and _valid_day("19" + number[6:12])
    if not re.fullmatch(r"\d{17}[\dX]", number) or number[0] not in "12345678":
        return False
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(number[:17]))
    check = "10X98765432"[total % 11]
    return number[17] == check and _valid_day(number[6:14])


def _valid_day(digits: str) -> bool:
    try:
        day = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return False
    return 1880 <= day.year <= dt.date.today().year


def _not_name(words: str) -> bool:
    first = words.split()[0]
    if first.lower().strip(".'-") in _NOT_NAMES or first.upper().startswith("ANON"):
        return True
    return body_part_from_text(first) is not None or side_from_text(first) is not None


def _names(text: str) -> list[Finding]:
    out: list[Finding] = []
    for m in _PN_NOTATION.finditer(text):
        out.append(Finding(m.start(), m.end(), Kind.NAME, m.group()))
    for m in _LATIN_NAME.finditer(text):
        words = list(re.finditer(r"\S+", m.group("name")))
        while words and re.fullmatch(_TITLES_EN + r"\.?", words[0].group()):
            words.pop(0)  # "seen by Dr Okafor": the name is Okafor
        while words and _not_name(words[-1].group()):
            words.pop()  # "Dr Okafor Reported ..." keeps Okafor only
        if words and not _not_name(words[0].group()):
            start = m.start("name") + words[0].start()
            end = m.start("name") + words[-1].end()
            out.append(Finding(start, end, Kind.NAME, text[start:end]))
    for pattern in (_ZH_CUED, _ZH_LABELLED, _ZH_LATIN, _ZH_TITLED):
        for m in pattern.finditer(text):
            name = m.group("name")
            if pattern is _ZH_LATIN and _not_name(name):
                continue
            inside = m.start() > 0 and re.match(_HAN, text[m.start() - 1])
            if pattern is _ZH_TITLED and inside and not _AFTER_CUE.search(text[: m.start()]):
                continue  # inside a longer word
            out.append(Finding(m.start("name"), m.end("name"), Kind.NAME, name))
    return out


def _numbers(text: str) -> list[Finding]:
    out: list[Finding] = []
    for m in _EMAIL.finditer(text):
        out.append(Finding(m.start(), m.end(), Kind.EMAIL, m.group()))
    for m in _RESIDENT.finditer(text):
        if is_resident_id(m.group(1)):
            out.append(Finding(m.start(1), m.end(1), Kind.RESIDENT_ID, m.group(1)))
    for pattern in _PHONES:
        for m in pattern.finditer(text):
            group = "value" if "value" in pattern.groupindex else 0
            digits = re.sub(r"\D", "", m.group(group))
            if len(digits) >= 7:
                out.append(Finding(m.start(group), m.end(group), Kind.PHONE, m.group(group)))
    for m in _RECORD.finditer(text):
        out.append(Finding(m.start("value"), m.end("value"), Kind.RECORD_NUMBER, m.group("value")))
    for m in _LONG_NUMBER.finditer(text):
        if not (len(m.group()) == 8 and _valid_day(m.group())):
            out.append(Finding(m.start(), m.end(), Kind.RECORD_NUMBER, m.group()))
    return out


def _addresses(text: str) -> list[Finding]:
    out: list[Finding] = []
    for m in _ADDRESS_CUED.finditer(text):
        value = m.group("value").rstrip(" ,，")
        out.append(Finding(m.start("value"), m.start("value") + len(value), Kind.ADDRESS, value))
    for pattern in (_ZH_ADDRESS, _EN_ADDRESS):
        for m in pattern.finditer(text):
            out.append(Finding(m.start(), m.end(), Kind.ADDRESS, m.group()))
    return out


_PRIORITY = {Kind.EMAIL: 0, Kind.RESIDENT_ID: 1, Kind.ADDRESS: 2, Kind.PHONE: 3}


def find_identifiers(text: str) -> list[Finding]:
    """Every identifier the detectors find in *text*, in text order, without overlaps.

    Where two findings overlap, the longer one wins (then e-mail, resident ID,
    address, phone, name, record number, in that order).
    """
    if not text or not text.strip():
        return []
    found = _names(text) + _numbers(text) + _addresses(text)
    found = [f for f in found if f.end > f.start and f.text.strip()]
    found.sort(key=lambda f: (-(f.end - f.start), _PRIORITY.get(f.kind, 9), f.start))
    chosen: list[Finding] = []
    for f in found:
        if not any(f.start < c.end and c.start < f.end for c in chosen):
            chosen.append(f)
    return sorted(chosen, key=lambda f: f.start)
