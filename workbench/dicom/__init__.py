"""DICOM bytes: the fast header walker, element values, DICOMDIR, pixel decoding checks."""
