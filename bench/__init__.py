"""Hookline's benchmark (not a test): `make bench` or `python -m bench`.

Every figure is measured against a bare-HTTP ceiling taken in the same run on the same
machine (issue 8), because the machines it runs on are shared and noisy.
"""
