"""Compute drivers of nova-sgfix."""
