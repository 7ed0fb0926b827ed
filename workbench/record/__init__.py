"""The clinical record: case.yaml, documents, dates in text, report-study matching, the timeline."""
