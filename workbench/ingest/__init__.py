"""From a source (folder, zip, DICOMDIR, DICOMweb) to the case tables, every file counted."""
