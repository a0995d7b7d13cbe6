"""Helpers for the study of how news outlets portray China, Japan and Malaysia in AI.

The public API is re-exported here; see ``__all__``.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
