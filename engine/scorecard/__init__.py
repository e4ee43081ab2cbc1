"""The rally scorecard: ``score`` computes the conditions met on a date and their historical
odds; ``render`` prints and writes it.
"""
