"""What goes back to the treating hospital: DICOM SR, KOS and GSPS (highdicom), and FHIR.

Core layer: pydicom, highdicom and pandas only (no nbformat, no matplotlib). The export
layer calls :func:`workbench.report.objects.write_review_objects` beside the opinion page.
"""
