"""Emitter: IR to generated module text. Knows nothing of libclang."""

from .module import render_module
from .tables import encode

__all__ = ["encode", "render_module"]
