"""Emitter: IR to generated module text. Knows nothing of libclang."""

from .module import render_module

__all__ = ["render_module"]
