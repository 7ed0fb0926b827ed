"""The ``workbench`` command line: argument parsing and printing only."""
