"""The walker's slice of the data dictionary and the UIDs written out are pydicom's."""

from __future__ import annotations

import pydicom.uid
import pytest
from pydicom._dicom_dict import DicomDictionary, RepeatersDictionary
from pydicom.datadict import dictionary_VR, keyword_for_tag, masks, tag_for_keyword

from workbench.dicom import dictionary, uids
from workbench.dicom.header import WANTED_KEYWORDS


def test_every_wanted_keyword_is_in_the_table() -> None:
    assert set(WANTED_KEYWORDS) <= set(dictionary.ENTRIES)


@pytest.mark.parametrize("keyword", sorted(dictionary.ENTRIES))
def test_entries_are_pydicoms(keyword: str) -> None:
    tag = tag_for_keyword(keyword)
    assert dictionary.ENTRIES[keyword] == (tag, dictionary_VR(tag))
    assert dictionary.keyword_for_tag(tag) == keyword


def test_a_keyword_outside_the_table_asks_pydicom() -> None:
    assert dictionary.entry("SeriesDate") == (0x00080021, "DA")
    assert dictionary.entry("ReferencedSOPSequence") == (0x00081199, "SQ")
    with pytest.raises(KeyError, match="NoSuchKeyword"):
        dictionary.entry("NoSuchKeyword")
    assert dictionary.keyword_for_tag(0x00081199) == "ReferencedSOPSequence"
    assert dictionary.keyword_for_tag(0x00091001) == ""  # private


def test_sequence_tags_are_every_sq_of_pydicoms_dictionary() -> None:
    expected = {tag for tag, row in DicomDictionary.items() if row[0] == "SQ"}
    assert dictionary.sequence_tags() == expected, (
        "regenerate workbench/data/dicom_sequence_tags.txt: python -m workbench.dicom.dictionary"
    )
    repeaters = {masks[m] for m, row in RepeatersDictionary.items() if row[0] == "SQ"}
    assert set(dictionary.SEQUENCE_MASKS) == repeaters


def test_is_sequence_agrees_with_dictionary_vr() -> None:
    def pydicom_says(tag: int) -> bool:
        try:
            return dictionary_VR(tag) == "SQ"
        except KeyError:
            return False

    tags = list(DicomDictionary)
    tags += [0x50002600, 0x50102600, 0x501E2600, 0x60002600, 0x00091010, 0x7FE00010, 0xFFFEE000]
    tags += [tag + 1 for tag in DicomDictionary]  # mostly not in the dictionary
    disagree = [hex(t) for t in tags if dictionary.is_sequence(t) != pydicom_says(t)]
    assert not disagree


def test_uids_are_pydicoms() -> None:
    names = [name for name in vars(uids.uid) if not name.startswith("_")]
    assert len(names) > 20
    for name in names:
        assert getattr(uids.uid, name) == getattr(pydicom.uid, name), name
    assert keyword_for_tag(0x00080016) == "SOPClassUID"
