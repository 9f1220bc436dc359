"""Measuring: metrics with bootstrap intervals, the yardsticks (evaluate) and semantic search (search)."""
