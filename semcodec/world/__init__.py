"""A closed synthetic world for verifying the codec offline (never a default for photographs).

``grammar``: world concepts <-> structured prompts; ``render``: the procedural
renderer behind the ``world-v1`` decoder; ``dataset``: held-out scenes as
image files with their true prompts.
"""
