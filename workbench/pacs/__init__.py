"""A PACS as a case source and destination, over DICOMweb."""
