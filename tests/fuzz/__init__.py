"""A deterministic mutation fuzzer for the DICOM readers (see :mod:`fuzz.mutate`)."""
