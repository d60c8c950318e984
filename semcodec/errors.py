"""One exception family for semcodec.

Every error a user can cause or meet derives from :class:`SemError`; the
command-line tools map ``exit_code`` to the process exit status (see the
README's exit-code table).  Library code never calls ``sys.exit``.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1  # anything else: remote API failure, budget cannot be met, ...
EXIT_USAGE = 2  # bad command line (click's own code)
EXIT_INVALID_INPUT = 3  # the input file (.sem, image, prompt JSON) is invalid
EXIT_MISSING = 4  # a backend, extra, model weights or API key is missing


class SemError(Exception):
    """Base class. ``str(err)`` is one line meant for a person."""

    exit_code = EXIT_FAILURE


class ConfigError(SemError, ValueError):
    """Encoder settings out of range (N, M, K, budget, loop behaviour): a usage error."""

    exit_code = EXIT_USAGE


class FormatError(SemError):
    """A ``.sem`` file is corrupt, truncated, hostile or not a ``.sem`` file."""

    exit_code = EXIT_INVALID_INPUT


class UnsupportedError(FormatError):
    """A well-formed file uses something this version does not know (newer ID/version)."""


class PromptError(SemError):
    """A structured prompt breaks the rules of spec/sem-v1.md section 3."""

    exit_code = EXIT_INVALID_INPUT


class InputError(SemError):
    """An input image or other input file cannot be used."""

    exit_code = EXIT_INVALID_INPUT


class MissingError(SemError):
    """An optional dependency, model weights or an API key is missing."""

    exit_code = EXIT_MISSING


class BackendError(SemError):
    """A model backend failed (API error, refusal, malformed model output...)."""

    exit_code = EXIT_FAILURE


class BudgetError(SemError):
    """A prompt cannot be made to fit the byte budget or token limit."""

    exit_code = EXIT_FAILURE


class ModelUnavailableError(BackendError):
    """The endpoint says the model does not exist or was retired."""
