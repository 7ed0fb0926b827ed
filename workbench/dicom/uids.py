"""The UIDs the workbench tests against, taken from :mod:`pydicom.uid` (never typed).

Transfer syntaxes that decide how the header walker reads a file, which pixel data
is lossy, and the SOP classes whose handling differs (DICOMDIR, enhanced multi-frame,
secondary capture, ultrasound, encapsulated documents, visible light photographs).
"""

from __future__ import annotations

from pydicom import uid

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
