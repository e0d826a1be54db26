"""A knowledge graph of case reports of paraneoplastic dermatomyositis, with criteria reasoning."""

__version__ = "0.1.0"

__all__ = ["__version__"]
