"""Analyses: pure functions of a network and data (they read, they never mutate)."""
