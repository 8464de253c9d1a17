"""Tests for the LTX client (shared fakes: tests/support/ltx_fakes.py)."""
