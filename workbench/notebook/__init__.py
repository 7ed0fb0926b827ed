"""The reviewer's case notebook, written with nbformat (notebook layer)."""
