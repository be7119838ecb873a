"""Convscope's NumPy CNN engine. Never imports Flask."""
