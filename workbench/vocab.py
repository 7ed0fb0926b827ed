"""Closed vocabularies and the English/Chinese terms that map onto them.

Everything a clinician might want to read or correct lives here as data: the
allowed values, the words (English and Chinese) and DICOM codes recognised for
each, and the glossary used for bilingual labels. Matching functions are small
and pure so they can be tested term by term.

>>> side_from_text("RIGHT KNEE STANDING AP")
'right'
>>> side_from_text("左膝关节负重位")
'left'
>>> body_part_from_text("腰椎MRI平扫")
'lumbar_spine'
>>> weight_bearing_from_text("Knee AP standing")
True
"""

from __future__ import annotations

import re
from enum import StrEnum

from workbench.i18n import BODY_REGIONS, GLOSSARY


class Side(StrEnum):
    """Body side, from (0020,0060) *Laterality* or words in descriptions and reports."""

    LEFT = "left"
    RIGHT = "right"
    BILATERAL = "bilateral"


class BodyPart(StrEnum):
    """Body part examined, normalised from (0018,0015) *Body Part Examined* and text."""

    KNEE = "knee"
    HIP = "hip"
    SHOULDER = "shoulder"
    ANKLE = "ankle"
    FOOT = "foot"
    ELBOW = "elbow"
    WRIST = "wrist"
    HAND = "hand"
    CERVICAL_SPINE = "cervical_spine"
    THORACIC_SPINE = "thoracic_spine"
    LUMBAR_SPINE = "lumbar_spine"
    PELVIS = "pelvis"
    FEMUR = "femur"
    TIBIA = "tibia"
    HUMERUS = "humerus"
    FOREARM = "forearm"
    CHEST = "chest"
    HEAD = "head"
    OTHER = "other"


class CaseType(StrEnum):
    """What the second opinion is about."""

    KNEE_REPLACEMENT = "knee_replacement"
    HIP_REPLACEMENT = "hip_replacement"
    SPINE = "spine"
    ACL_MENISCUS = "acl_meniscus"
    SHOULDER = "shoulder"
    FRACTURE_REVISION = "fracture_revision"
    OTHER = "other"


class PainRegion(StrEnum):
    """A region of the pain map's body outline; labels and body parts in ``i18n.BODY_REGIONS``."""

    NECK = "neck"
    SHOULDER = "shoulder"
    UPPER_ARM = "upper_arm"
    ELBOW = "elbow"
    FOREARM = "forearm"
    WRIST_HAND = "wrist_hand"
    CHEST = "chest"
    HIP_GROIN = "hip_groin"
    LATERAL_HIP = "lateral_hip"
    ANTERIOR_THIGH = "anterior_thigh"
    ANTERIOR_KNEE = "anterior_knee"
    KNEE_MEDIAL = "knee_medial"
    KNEE_LATERAL = "knee_lateral"
    SHIN = "shin"
    ANKLE = "ankle"
    FOOT_DORSUM = "foot_dorsum"
    TOES = "toes"
    UPPER_BACK = "upper_back"
    LOWER_BACK = "lower_back"
    BUTTOCK = "buttock"
    POSTERIOR_THIGH = "posterior_thigh"
    POSTERIOR_KNEE = "posterior_knee"
    CALF = "calf"
    HEEL = "heel"
    SOLE = "sole"


class PainKind(StrEnum):
    """What the patient marks on the pain map."""

    PAIN = "pain"
    NUMBNESS = "numbness"
    TINGLING = "tingling"
    WEAKNESS = "weakness"


def region_body_part(region: str) -> str:
    """The :class:`BodyPart` value of a pain-map region (``knee_medial`` → ``knee``)."""
    return BODY_REGIONS[region][1]


def region_is_paired(region: str) -> bool:
    """True for regions that have a left and a right (knee), False for midline ones (neck)."""
    return BODY_REGIONS[region][2]


#: Body parts that come in pairs, where a missing side matters.
PAIRED_BODY_PARTS = frozenset(
    {
        BodyPart.KNEE,
        BodyPart.HIP,
        BodyPart.SHOULDER,
        BodyPart.ANKLE,
        BodyPart.FOOT,
        BodyPart.ELBOW,
        BodyPart.WRIST,
        BodyPart.HAND,
        BodyPart.FEMUR,
        BodyPart.TIBIA,
        BodyPart.HUMERUS,
        BodyPart.FOREARM,
    }
)

#: Modalities grouped the way an orthopedic reviewer thinks of them.
XRAY_MODALITIES = frozenset({"CR", "DX", "RF", "XA", "MG", "PX", "IO"})
CROSS_SECTIONAL_MODALITIES = frozenset({"CT", "MR", "PT", "NM"})
SECONDARY_MODALITIES = frozenset({"OT", "SC", "DOC", "SR", "KO", "PR"})

# --- side -----------------------------------------------------------------------------

#: (0020,0060) *Laterality*, (0020,0062) *Image Laterality*, (0020,9072) *Frame Laterality*.
SIDE_CODES = {"R": Side.RIGHT, "L": Side.LEFT, "B": Side.BILATERAL}

_SIDE_WORDS: dict[Side, tuple[str, ...]] = {
    # English words and the abbreviations scanners write into descriptions.
    # A lone L or R counts only when it stands alone (not "L4", "L-SPINE", "LAT").
    Side.LEFT: (r"\bleft\b", r"\blt\b", r"(?<![\w\-/])l(?![\w\-/])", r"\blinks\b", "左(?!右)"),
    Side.RIGHT: (r"\bright\b", r"\brt\b", r"(?<![\w\-/])r(?![\w\-/])", r"(?<!左)右"),
    Side.BILATERAL: (
        r"\bbilateral\b",
        r"\bbilat\b",
        r"\bboth\b",
        r"\bbil\b",
        "双侧",
        "双膝",
        "双髋",
    ),
}
_SIDE_RES = {
    side: re.compile("|".join(words), re.IGNORECASE) for side, words in _SIDE_WORDS.items()
}


def side_from_code(value: object) -> str | None:
    """Map a DICOM laterality code (``R``, ``L``, ``B``; ``U`` is unknown) to a side."""
    if value is None:
        return None
    code = str(value).strip().upper()
    side = SIDE_CODES.get(code[:1]) if code else None
    return side.value if side else None


def sides_in_text(text: object) -> set[str]:
    """Every side mentioned in *text* (English or Chinese)."""
    if not isinstance(text, str) or not text:
        return set()
    return {side.value for side, pattern in _SIDE_RES.items() if pattern.search(text)}


def side_from_text(text: object) -> str | None:
    """The side a short description names; both sides or an explicit word give bilateral."""
    found = sides_in_text(text)
    if not found:
        return None
    if Side.BILATERAL in found or {Side.LEFT, Side.RIGHT} <= found:
        return Side.BILATERAL.value
    return found.pop()


# --- body part ------------------------------------------------------------------------

#: (0018,0015) *Body Part Examined* defined terms (PS3.16 Annex L) and common scanner values.
BODY_PART_CODES: dict[str, BodyPart] = {
    "KNEE": BodyPart.KNEE,
    "HIP": BodyPart.HIP,
    "SHOULDER": BodyPart.SHOULDER,
    "ANKLE": BodyPart.ANKLE,
    "FOOT": BodyPart.FOOT,
    "HEEL": BodyPart.FOOT,
    "TOE": BodyPart.FOOT,
    "ELBOW": BodyPart.ELBOW,
    "WRIST": BodyPart.WRIST,
    "HAND": BodyPart.HAND,
    "FINGER": BodyPart.HAND,
    "CSPINE": BodyPart.CERVICAL_SPINE,
    "NECK": BodyPart.CERVICAL_SPINE,
    "TSPINE": BodyPart.THORACIC_SPINE,
    "LSPINE": BodyPart.LUMBAR_SPINE,
    "LSSPINE": BodyPart.LUMBAR_SPINE,
    "SSPINE": BodyPart.LUMBAR_SPINE,
    "SACRUM": BodyPart.LUMBAR_SPINE,
    "PELVIS": BodyPart.PELVIS,
    "THIGH": BodyPart.FEMUR,
    "FEMUR": BodyPart.FEMUR,
    "LEG": BodyPart.TIBIA,
    "LOWER LEG": BodyPart.TIBIA,
    "TIBIA": BodyPart.TIBIA,
    "ARM": BodyPart.HUMERUS,
    "UPPER ARM": BodyPart.HUMERUS,
    "HUMERUS": BodyPart.HUMERUS,
    "FOREARM": BodyPart.FOREARM,
    "CHEST": BodyPart.CHEST,
    "THORAX": BodyPart.CHEST,
    "HEAD": BodyPart.HEAD,
    "SKULL": BodyPart.HEAD,
    "BRAIN": BodyPart.HEAD,
}

# Ordered: the more specific term first ("lumbar spine" before anything generic).
_BODY_PART_WORDS: list[tuple[BodyPart, str]] = [
    (BodyPart.LUMBAR_SPINE, r"lumbo-?sacral|\blumbar|\bl-?spine|\bls-?spine|腰椎|腰骶"),
    (BodyPart.CERVICAL_SPINE, r"\bcervical|\bc-?spine|颈椎"),
    (BodyPart.THORACIC_SPINE, r"\bthoracic spine|\bt-?spine|胸椎"),
    (BodyPart.KNEE, r"\bknees?\b|\bpatell|\bmenisc|\bacl\b|膝"),
    (BodyPart.HIP, r"\bhips?\b|\bacetabul|髋"),
    (BodyPart.SHOULDER, r"\bshoulders?\b|rotator cuff|肩"),
    (BodyPart.ANKLE, r"\bankles?\b|achilles|踝"),
    (BodyPart.FOOT, r"\bfoot\b|\bfeet\b|\bcalcane|(?<![不满充手立])足(?![够以球])|跟骨"),
    (BodyPart.ELBOW, r"\belbows?\b|肘"),
    (BodyPart.WRIST, r"\bwrists?\b|腕"),
    (BodyPart.HAND, r"(?<!other )\bhands?\b|\bfingers?\b|手指|手部"),
    (BodyPart.PELVIS, r"\bpelvi|骨盆"),
    (BodyPart.FEMUR, r"\bfemur|\bfemoral shaft|\bthigh|股骨"),
    (BodyPart.TIBIA, r"\btibia|\btib[-/ ]?fib|\blower leg|胫骨|胫腓"),
    (BodyPart.HUMERUS, r"\bhumer|肱骨"),
    (BodyPart.FOREARM, r"\bforearm|\bradius\b|\bulna\b|前臂|尺桡"),
    (BodyPart.CHEST, r"\bchest\b|\bthorax\b|胸部|胸片"),
    (
        BodyPart.HEAD,
        r"\bskull\b|\bbrain\b|(?<!femoral )(?<!humeral )(?<!radial )\bhead\b"
        r"|头颅|头部",
    ),
]
_BODY_PART_RES = [(part, re.compile(words, re.IGNORECASE)) for part, words in _BODY_PART_WORDS]


def body_part_from_code(value: object) -> str | None:
    """Map (0018,0015) *Body Part Examined* to a body part; unknown codes give ``other``."""
    if value is None:
        return None
    code = re.sub(r"[^A-Z ]", "", str(value).upper()).strip()
    if not code:
        return None
    if code in BODY_PART_CODES:
        return BODY_PART_CODES[code].value
    compact = code.replace(" ", "")
    if compact in BODY_PART_CODES:
        return BODY_PART_CODES[compact].value
    return body_part_from_text(code) or BodyPart.OTHER.value


def body_part_from_text(text: object) -> str | None:
    """The first body part a description or report names, most specific first."""
    if not isinstance(text, str) or not text:
        return None
    best: tuple[int, int, str] | None = None
    for rank, (part, pattern) in enumerate(_BODY_PART_RES):
        match = pattern.search(text)
        if match and (best is None or (match.start(), rank) < best[:2]):
            best = (match.start(), rank, part.value)
    return best[2] if best else None


# --- weight bearing -------------------------------------------------------------------

_NOT_WEIGHT_BEARING = re.compile(
    r"non[- ]?weight[- ]?bearing|\bnwb\b|\bsupine\b|\brecumbent\b|\blying\b|卧位|仰卧|非负重",
    re.IGNORECASE,
)
_WEIGHT_BEARING = re.compile(
    r"weight[- ]?bearing|\bwb\b|\bstanding\b|\berect\b|\bupright\b|\bloaded\b|负重|站立|立位",
    re.IGNORECASE,
)


def weight_bearing_from_text(text: object) -> bool | None:
    """True for standing or weight-bearing views, False when the text says otherwise."""
    if not isinstance(text, str) or not text:
        return None
    if _NOT_WEIGHT_BEARING.search(text):
        return False
    if _WEIGHT_BEARING.search(text):
        return True
    return None


# --- glossary -------------------------------------------------------------------------

#: English → Chinese terms for labels and the bilingual opinion (DOMAIN.md).


def term(value: str, lang: str = "en") -> str:
    """A vocabulary value as a label in ``en`` or ``zh`` (``lumbar_spine`` → "lumbar spine")."""
    if lang == "zh":
        return GLOSSARY.get(value, value)
    return value.replace("_", " ")
