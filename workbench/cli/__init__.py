"""The ``workbench`` command line: argument parsing and printing only."""

# first: nbformat (imported by the commands) without jsonschema's RFC 3987 grammar
import workbench.notebook  # noqa: F401
