"""Criteria reasoning: the only package that imports owlready2 (in engine.py)."""
