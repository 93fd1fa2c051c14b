"""Observatoire fiscal: the communes' local tax bases, rates and products, and base reviews."""
