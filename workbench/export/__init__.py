"""The patient's opinion page: nbconvert export, cleaning, audit and PDF (export layer)."""

# first: nbformat (imported by the modules here) without jsonschema's RFC 3987 grammar
import workbench.notebook  # noqa: F401
