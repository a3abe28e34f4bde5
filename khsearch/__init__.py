"""khsearch: search and cited answers over Vietnamese government plans."""
__version__ = "0.1.0"
