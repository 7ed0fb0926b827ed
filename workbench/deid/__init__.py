"""De-identification by DICOM PS3.15 Annex E, of DICOM and of text, and its verifier."""
