#!/usr/bin/env python3
"""Check a prompts JSONL file (one corpus part, as the agents writing lm-extra-v3 ran it as /work/scratch/validate.py): every line a valid prompt object, no duplicates. Exit 0 if all good."""
import json, sys
path = sys.argv[1]
bad = 0; seen = set(); dup = 0; n = 0; chars = 0
for i, line in enumerate(open(path, encoding="utf-8"), 1):
    line = line.rstrip("\n")
    if not line.strip():
        continue
    try:
        d = json.loads(line)
        assert isinstance(d, dict), "not an object"
        assert set(d) <= {"scene", "objects", "lighting", "style"} and {"scene", "objects", "lighting"} <= set(d), "keys must be scene, objects, lighting (+ optional style)"
        assert isinstance(d["scene"], str) and d["scene"].strip() == d["scene"] and 0 < len(d["scene"].encode()) <= 400, "scene: 1-400 bytes, no outer spaces"
        assert isinstance(d["objects"], list) and len(d["objects"]) <= 16, "objects: list of at most 16"
        for o in d["objects"]:
            assert isinstance(o, str) and o.strip() == o and 0 < len(o.encode()) <= 120, "object: 1-120 bytes, no outer spaces"
        assert isinstance(d["lighting"], str) and d["lighting"].strip() == d["lighting"] and len(d["lighting"].encode()) <= 200, "lighting: 0-200 bytes"
        if "style" in d:
            assert isinstance(d["style"], str) and d["style"].strip() == d["style"] and 0 < len(d["style"].encode()) <= 200, "style: 1-200 bytes"
        for s in [d["scene"], d["lighting"], d.get("style") or "", *d["objects"]]:
            assert not any(c in s for c in "\n\r\t"), "no newlines or tabs"
        key = json.dumps(d, sort_keys=True)
        if key in seen:
            dup += 1; print(f"line {i}: duplicate"); continue
        seen.add(key); n += 1; chars += len(", ".join([d["scene"], *d["objects"], d["lighting"], d.get("style") or ""]))
    except Exception as e:
        bad += 1; print(f"line {i}: {e}")
print(f"summary: {n} good prompts, {bad} bad lines, {dup} duplicates, mean length {chars / max(n, 1):.0f} chars")
sys.exit(1 if bad or dup else 0)
