"""Backtesting (DESIGN §12): replay a rule over past instants and say how it would have behaved.

Pure modules: ``instants`` (when), ``stats`` (episodes, flaps, percent state change, the summary), ``sweep`` (the
same query results re-judged for other thresholds), ``report`` (text strip and CSV). The use case that runs the
queries is :mod:`lakealerts.app.backtest`.
"""
