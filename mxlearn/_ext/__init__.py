"""Compiled modules built from the Cython sources in ``ext/``."""
