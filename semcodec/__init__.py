"""semcodec: a semantic image codec.

Public API only; nothing heavy is imported here (no torch, no model libraries).
"""

from ._version import __version__
from .container import SemFile, decode, encode
from .errors import FormatError, SemError
from .prompt import Prompt

__all__ = ["__version__", "Prompt", "SemFile", "encode", "decode", "SemError", "FormatError"]
