"""Stride Coach: cited, offline answers from the club's strength-training articles."""

__version__ = "0.1.0"
