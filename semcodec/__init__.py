"""semcodec: a semantic image codec.

Public API only; nothing heavy is imported here (no torch, no model libraries):

* ``encode(image, **options) -> (bytes, EncodeResult)`` and
  ``decode(data) -> PIL.Image``: the codec, models loaded on first use;
* ``SemFile`` (``SemFile.create(prompt, ...).to_bytes()``, ``read_file(bytes)``)
  and ``Prompt``: the container and the structured prompt, no models.
"""

from ._version import __version__
from .api import decode, encode
from .container import SemFile
from .container import decode as read_file
from .errors import FormatError, SemError
from .prompt import Prompt

__all__ = ["__version__", "encode", "decode", "read_file", "Prompt", "SemFile", "SemError", "FormatError"]
