"""Analyst tools: rule tests, backtests, search, export, config schema, weekly report."""
