"""The UIDs the workbench tests against, by their names in :mod:`pydicom.uid`.

Transfer syntaxes that decide how the header walker reads a file, which pixel data
is lossy, and the SOP classes whose handling differs (DICOMDIR, enhanced multi-frame,
secondary capture, ultrasound, encapsulated documents, visible light photographs).

The values are written out (:class:`uid`) so that reading a header does not import
pydicom, whose first import loads every pixel decoder (a third of a second); a test
checks each against :mod:`pydicom.uid`, so they are still pydicom's, never typed anew.
"""

from __future__ import annotations


class uid:  # lower case: stands in for the pydicom.uid module (same names, same values)
    """The :mod:`pydicom.uid` constants used here (checked against it by a test)."""

    ImplicitVRLittleEndian = "1.2.840.10008.1.2"
    ExplicitVRLittleEndian = "1.2.840.10008.1.2.1"
    DeflatedExplicitVRLittleEndian = "1.2.840.10008.1.2.1.99"
    ExplicitVRBigEndian = "1.2.840.10008.1.2.2"
    JPEGBaseline8Bit = "1.2.840.10008.1.2.4.50"
    JPEGExtended12Bit = "1.2.840.10008.1.2.4.51"
    JPEGLSNearLossless = "1.2.840.10008.1.2.4.81"
    JPEG2000 = "1.2.840.10008.1.2.4.91"
    HTJ2K = "1.2.840.10008.1.2.4.203"
    MPEG2MPML = "1.2.840.10008.1.2.4.100"
    MPEG2MPHL = "1.2.840.10008.1.2.4.101"
    MPEG4HP41 = "1.2.840.10008.1.2.4.102"
    MPEG4HP41BD = "1.2.840.10008.1.2.4.103"
    MediaStorageDirectoryStorage = "1.2.840.10008.1.3.10"
    SecondaryCaptureImageStorage = "1.2.840.10008.5.1.4.1.1.7"
    UltrasoundImageStorage = "1.2.840.10008.5.1.4.1.1.6.1"
    UltrasoundMultiFrameImageStorage = "1.2.840.10008.5.1.4.1.1.3.1"
    EncapsulatedPDFStorage = "1.2.840.10008.5.1.4.1.1.104.1"
    VLPhotographicImageStorage = "1.2.840.10008.5.1.4.1.1.77.1.4"
    EnhancedCTImageStorage = "1.2.840.10008.5.1.4.1.1.2.1"
    LegacyConvertedEnhancedCTImageStorage = "1.2.840.10008.5.1.4.1.1.2.2"
    EnhancedMRImageStorage = "1.2.840.10008.5.1.4.1.1.4.1"
    LegacyConvertedEnhancedMRImageStorage = "1.2.840.10008.5.1.4.1.1.4.4"
    LegacyConvertedEnhancedPETImageStorage = "1.2.840.10008.5.1.4.1.1.128.1"
    EnhancedPETImageStorage = "1.2.840.10008.5.1.4.1.1.130"
    XRay3DAngiographicImageStorage = "1.2.840.10008.5.1.4.1.1.13.1.1"


IMPLICIT_LE: str = uid.ImplicitVRLittleEndian
EXPLICIT_LE: str = uid.ExplicitVRLittleEndian
DEFLATED_LE: str = uid.DeflatedExplicitVRLittleEndian
#: Uncompressed syntaxes (pixel bytes can be checked by length).
NATIVE_SYNTAXES: frozenset[str] = frozenset(
    {uid.ImplicitVRLittleEndian, uid.ExplicitVRLittleEndian, uid.ExplicitVRBigEndian,
     uid.DeflatedExplicitVRLittleEndian}
)  # fmt: skip
#: Syntaxes the fast header walker leaves to pydicom (big endian, deflated).
WALKER_FALLBACK_SYNTAXES: frozenset[str] = frozenset(
    {uid.ExplicitVRBigEndian, uid.DeflatedExplicitVRLittleEndian}
)
#: Transfer syntaxes whose pixel data lost information when encoded.
LOSSY_SYNTAXES: frozenset[str] = frozenset(
    {
        uid.JPEGBaseline8Bit,
        uid.JPEGExtended12Bit,
        uid.JPEGLSNearLossless,
        uid.JPEG2000,
        uid.HTJ2K,
        uid.MPEG2MPML,
        uid.MPEG2MPHL,
        uid.MPEG4HP41,
        uid.MPEG4HP41BD,
    }
)

DICOMDIR_SOP_CLASS: str = uid.MediaStorageDirectoryStorage
SECONDARY_CAPTURE_PREFIX: str = uid.SecondaryCaptureImageStorage
#: Ultrasound single-frame and multi-frame storage (burned-in text is common).
ULTRASOUND_PREFIXES: tuple[str, ...] = (
    uid.UltrasoundImageStorage.rsplit(".", 1)[0] + ".",
    uid.UltrasoundMultiFrameImageStorage,
)
ENCAPSULATED_PREFIX: str = uid.EncapsulatedPDFStorage.rsplit(".", 1)[0] + "."
VISIBLE_LIGHT_PREFIX: str = uid.VLPhotographicImageStorage.rsplit(".", 1)[0] + "."
#: SOP classes whose geometry lives in functional groups (enhanced multi-frame objects).
ENHANCED_PREFIXES: tuple[str, ...] = (
    uid.EnhancedCTImageStorage,
    uid.LegacyConvertedEnhancedCTImageStorage,
    uid.EnhancedMRImageStorage,
    uid.LegacyConvertedEnhancedMRImageStorage,
    uid.LegacyConvertedEnhancedPETImageStorage,
    uid.EnhancedPETImageStorage,
    uid.XRay3DAngiographicImageStorage.rsplit(".", 1)[0],  # X-ray 3D and tomosynthesis
)
