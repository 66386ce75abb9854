"""Benchmarks of healthbot: search against two baselines, start-up, and the bot end to end.

Run ``python -m benchmarks.run`` (``--quick`` for a smoke run); see ``benchmarks/README.md``.
"""
