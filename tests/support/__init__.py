"""Test helpers: real databases, a real Hookline server, real receivers."""
