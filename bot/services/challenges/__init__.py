"""Challenges raised by initiatives, and matching them into challenge-workshop tables."""
