#!/usr/bin/env python3
"""Build the static models of the ``lm-ac`` prompt codecs (semcodec/promptcodec/data/).

``--codec lm-ac-v1`` (the default) rebuilds lm-ac-v1.bin, ``--codec lm-ac-v2``
rebuilds lm-ac-v2.bin (stored zlib-compressed as lm-ac-v2.bin.zlib), ``--codec lm-ac-v3``
the count tables of lm-ac-v3, lm-ac-v3-ngram.bin (zlib-compressed; its network is
built by tools/train_prompt_nn.py), ``--codec lm-ac-v4`` lm-ac-v4's, lm-ac-v4-ngram.bin, and
``--codec lm-ac-v5`` lm-ac-v5-ngram.bin (every written corpus but the tuning set DEV_V5).
Reproducible: the same inputs give the same model bytes (the SHA-256 pinned in
semcodec/promptcodec/lm_model.py ``MODELS``).  Floats are used here, at build time only;
the file holds integers and the codec never touches a float.

Inputs (never the held-out prompts in semcodec/bench/data/):
  * corpus/train-v1.jsonl     template-generated structured prompts (project corpus)
  * corpus/lm-extra-v1.jsonl  513 prompts written one by one (lm-ac-v1 and lm-ac-v2)
  * corpus/lm-extra-v2.jsonl  16,939 LLM-agent-written prompts (lm-ac-v2 and v3; corpus/lm-extra-v2.BRIEF.md)
  * corpus/lm-extra-v3.jsonl  8,131 more (lm-ac-v3 and v4; corpus/lm-extra-v3.BRIEF.md)
  * corpus/lm-extra-v4.jsonl, lm-extra-v5.jsonl  more again (lm-ac-v4 only; corpus/lm-extra-v4.BRIEF.md);
    never corpus/lm-dev-v4.jsonl, on which lm-ac-v4's mixture weights and these settings were chosen
  * wordfreq 3.1.1, 'en' 'large' list (CC-BY-SA 4.0; see data/lm-ac-v1.NOTICE.md),
    read through the wordfreq package.  wordfreq is not a semcodec dependency:
    install it into a separate environment for the build, e.g.

        python -m venv /tmp/lmbuild && /tmp/lmbuild/bin/pip install wordfreq==3.1.1 msgpack zstandard
        PYTHONPATH=. /tmp/lmbuild/bin/python tools/train_prompt_lm.py

    or dump the list once with ``--dump-wordfreq FILE`` and pass ``--wordfreq-tsv FILE``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from semcodec.prompt import Prompt  # noqa: E402
from semcodec.promptcodec import lm_model as M  # noqa: E402

WORDFREQ_VERSION = "3.1.1"
DEFAULT_CORPORA = (("corpus/train-v1.jsonl", 0.1), ("corpus/lm-extra-v1.jsonl", 1.0))
V2_CORPORA = (("corpus/train-v1.jsonl", 0.1), ("corpus/lm-extra-v1.jsonl", 1.0), ("corpus/lm-extra-v2.jsonl", 1.0))
V3_CORPORA = V2_CORPORA + (("corpus/lm-extra-v3.jsonl", 1.0),)
V4_CORPORA = V3_CORPORA + (("corpus/lm-extra-v4.jsonl", 1.0), ("corpus/lm-extra-v5.jsonl", 1.0))
# lm-ac-v5's tuning set: two whole parts (two agents) of lm-extra-v5, which neither of its models sees
DEV_V5 = ("corpus/lm-extra-v5.jsonl", ("59", "60"))
V5_CORPORA = V3_CORPORA + (
    ("corpus/lm-extra-v4.jsonl", 1.0),
    ("corpus/lm-extra-v5.jsonl-" + ",".join(DEV_V5[1]), 1.0),
    ("corpus/lm-dev-v4.jsonl", 1.0),
)
DATA = ROOT / "semcodec" / "promptcodec" / "data"
MORE_CONTEXTS = 16
MAX_G_TOTAL = 1 << 24


@dataclass(frozen=True)
class Params:
    """Build settings.  The defaults are lm-ac-v1's (chosen by 5-fold cross-validation
    on corpus/lm-extra-v1.jsonl); lm-ac-v2's are in MODELS (2-fold cross-validation on
    lm-extra-v1 + lm-extra-v2).  The held-out prompts were never used to choose them."""

    wordfreq_words: int = 100000  # top-K [a-z]+ words of wordfreq in the general table
    d2: float = 1.4  # escape mass per distinct successor, order 2
    d1: float = 1.4  # order 1
    d0: float = 2.0  # order 0
    e2: float = 0.5  # constant escape mass (count units), order 2
    e1: float = 0.5
    e0: float = 0.0
    gamma: float = 1.0  # counts are raised to this power before quantisation
    kn: bool = True  # lower orders count distinct left contexts (Kneser-Ney style)
    general_domain: float = 0.5  # weight of the corpus unigram in the general table
    general_oov: float = 0.02  # escape probability of the general table
    scale: float = 16.0  # integer frequency steps per count unit
    o2_min_count: float = 0.0  # order-2 contexts seen less often than this (weighted) are dropped
    corpora: tuple = DEFAULT_CORPORA


# Every shipped model: codec name -> (model file, build settings).  A shipped
# file never changes; a new model is a new entry with a new prompt-codec ID.
MODELS = {
    "lm-ac-v1": (M.MODEL_FILE, Params()),
    "lm-ac-v2": (
        M.MODEL_FILE_V2,
        Params(corpora=V2_CORPORA, d2=1.0, d0=1.2, general_domain=0.7, o2_min_count=2.5),
    ),
    # the count tables lm-ac-v3 (ID 4) mixes with its network: lm-ac-v2's settings, one more corpus
    "lm-ac-v3": (
        M.MODEL_FILE_V3,
        Params(corpora=V3_CORPORA, d2=1.0, d0=1.2, general_domain=0.7, o2_min_count=2.5),
    ),
    # lm-ac-v4 (ID 5): more text; no pruning of order-2 contexts and smaller escapes, which the
    # mixture prefers (chosen on corpus/lm-dev-v4.jsonl with the mixture, not the tables alone)
    "lm-ac-v4": (
        M.MODEL_FILE_V4,
        Params(corpora=V4_CORPORA, d2=0.5, d1=1.0, d0=1.2, general_domain=0.7, o2_min_count=1.0),
    ),
    # lm-ac-v5 (ID 6): lm-ac-v4's settings on all the written text but its tuning set DEV_V5
    "lm-ac-v5": (
        M.MODEL_FILE_V5,
        Params(corpora=V5_CORPORA, d2=0.5, d1=1.0, d0=1.2, general_domain=0.7, o2_min_count=1.0),
    ),
}


# ---------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------


def part_lines(path: Path, parts) -> set[int]:
    """The line numbers (from 1) of these parts of a merged corpus, from its ``.parts.json``."""
    index = json.loads(path.with_name(path.stem + ".parts.json").read_text(encoding="utf-8"))
    found = {p["part"]: p for p in index["parts"]}
    missing = set(parts) - set(found)
    if missing:
        raise SystemExit(f"{path}: no part {', '.join(sorted(missing))}")
    return {n for k in parts for n in range(found[k]["first_line"], found[k]["first_line"] + found[k]["lines"])}


def read_corpus(spec: str) -> list[Prompt]:
    """A corpus entry of the build settings: a path, or ``path-P,Q``: the file without its parts P and Q."""
    path, _, held = spec.partition(".jsonl-")
    if not held:
        return read_prompts(ROOT / spec)
    return read_prompts(ROOT / (path + ".jsonl"), skip=part_lines(ROOT / (path + ".jsonl"), held.split(",")))


def read_parts(path: str, parts) -> list[Prompt]:
    """Only these parts of a merged corpus (a tuning set such as :data:`DEV_V5`)."""
    return read_prompts(ROOT / path, keep=part_lines(ROOT / path, parts))


def corpus_file(spec: str) -> str:
    """The file a corpus entry reads."""
    path, _, held = spec.partition(".jsonl-")
    return path + ".jsonl" if held else spec


def read_prompts(path: Path, skip: set[int] = frozenset(), keep: set[int] | None = None) -> list[Prompt]:
    """The prompts of a JSONL corpus, without the lines in ``skip`` and, if ``keep`` is given, only its lines."""
    out = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            line = line.strip()
            if not line or n in skip or (keep is not None and n not in keep):
                continue
            data = json.loads(line)
            if isinstance(data, dict) and "prompt" in data and "scene" not in data:
                data = data["prompt"]
            try:
                out.append(Prompt.from_dict(data))
            except Exception as exc:  # a bad corpus line is a build error, with its location
                raise SystemExit(f"{path}:{n}: {exc}") from None
    return out


def wordfreq_table(tsv: Path | None) -> list[tuple[str, float]]:
    """[a-z]+ words of wordfreq's English 'large' list, most frequent first."""
    if tsv is not None:
        rows = []
        for line in tsv.read_text(encoding="utf-8").splitlines():
            w, f = line.split("\t")
            rows.append((w, float(f)))
        return rows
    try:
        import wordfreq
    except ImportError:
        raise SystemExit(
            f"the build needs wordfreq=={WORDFREQ_VERSION} (not a semcodec dependency): "
            "install it into a separate venv, or pass --wordfreq-tsv"
        ) from None
    got = getattr(wordfreq, "__version__", None)
    if got is None:
        from importlib.metadata import version

        got = version("wordfreq")
    if got != WORDFREQ_VERSION:
        raise SystemExit(f"wordfreq {got} installed, the model is built from {WORDFREQ_VERSION}")
    freqs = wordfreq.get_frequency_dict("en", "large")
    rows = [(w, f) for w, f in freqs.items() if re.fullmatch(r"[a-z]+", w)]
    rows.sort(key=lambda r: (-r[1], r[0]))
    return rows


# ---------------------------------------------------------------------------
# Counting
# ---------------------------------------------------------------------------


def prompt_fields(p: Prompt) -> list[tuple[int, str]]:
    out = [(M.F_SCENE, p.scene)]
    out += [(M.F_OBJECT, o) for o in p.objects]
    out.append((M.F_LIGHTING, p.lighting))
    if p.style is not None:
        out.append((M.F_STYLE, p.style))
    return out


def keyed(text: str) -> list[tuple[str, str]]:
    """(key, original token) pairs of a field."""
    return [((t.lower() if M.is_word(t) else t), t) for t in (M.tokenize(text) if text else [])]


@dataclass
class Counts:
    c2: dict = field(default_factory=lambda: defaultdict(Counter))
    c1: dict = field(default_factory=lambda: defaultdict(Counter))
    c0: dict = field(default_factory=lambda: defaultdict(Counter))
    left1: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(set)))
    left0: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(set)))
    case: dict = field(default_factory=lambda: defaultdict(Counter))
    more: dict = field(default_factory=lambda: defaultdict(Counter))
    style: Counter = field(default_factory=Counter)
    chars: Counter = field(default_factory=Counter)
    digits: dict = field(default_factory=lambda: defaultdict(Counter))
    unigram: Counter = field(default_factory=Counter)


def count(corpora: list[tuple[list[Prompt], float]]) -> Counts:
    c = Counts()
    for prompts, w in corpora:
        for p in prompts:
            n_obj = len(p.objects)
            for i in range(n_obj + 1):
                c.more[min(i, MORE_CONTEXTS)][1 if i < n_obj else 0] += w
            c.style[0 if p.style is None else 1] += w
            for f, text in prompt_fields(p):
                a = b = ""  # "" is END/BOS here
                prevcase = 0
                for key, tok in keyed(text) + [("", "")]:
                    c.c2[(f, a, b)][key] += w
                    c.c1[(f, b)][key] += w
                    c.c0[f][key] += w
                    c.left1[(f, b)][key].add(a)
                    c.left0[f][key].add(b)
                    if key:
                        c.unigram[key] += w
                    if tok and M.is_word(tok):
                        cls = M.case_class(tok.lstrip(" "))
                        c.case[(f, prevcase)][cls] += w
                        prevcase = cls + 1
                    elif tok and not M.NUMBER_RE.fullmatch(tok):
                        c.chars[ord(tok)] += w
                    elif tok:
                        prev = M.DIGIT_END
                        for ch in tok.lstrip(" ") + "$":
                            d = M.DIGIT_END if ch == "$" else ord(ch) - 48
                            c.digits[prev][d] += w
                            prev = d
                    a, b = b, key
    return c


# ---------------------------------------------------------------------------
# Quantisation
# ---------------------------------------------------------------------------


def quantize(counts: dict[int, float], esc: float, scale: float, limit: int = 1 << 20) -> tuple[list[tuple[int, int]], int]:
    """Float weights -> integer frequencies (each >= 1), total at most ``limit``."""
    total = sum(counts.values()) + esc
    s = scale
    if total * s > limit:
        s = limit / total / 2
    entries = [(sym, max(1, round(v * s))) for sym, v in counts.items()]
    e = max(1, round(esc * s)) if esc > 0 else 0
    assert sum(f for _, f in entries) + e <= MAX_G_TOTAL
    return sorted(entries), e


def order_table(successors: dict[int, float], n_types: int, d: float, e: float, p: Params) -> tuple[list[tuple[int, int]], int]:
    weights = {sym: (v**p.gamma if p.gamma != 1.0 else v) for sym, v in successors.items()}
    esc = d * n_types + e
    return quantize(weights, esc, p.scale)


# ---------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------


def build(corpora: list[tuple[list[Prompt], float]], wf: list[tuple[str, float]], p: Params) -> bytes:
    c = count(corpora)

    wf_top = wf[: p.wordfreq_words]
    domain = {k for k in c.unigram}
    vocab_keys = set(domain)
    vocab_keys.update(" " + w for w, _ in wf_top)
    vocab_keys = {k for k in vocab_keys if len(k.encode("utf-8")) <= M.MAX_TOKEN_BYTES}
    vocab = [""] + sorted(vocab_keys)
    ids = {k: i for i, k in enumerate(vocab)}
    ids[""] = M.END
    unk = len(vocab)

    def tid(key: str) -> int:
        return ids.get(key, unk)

    groups: dict[int, list] = {g: [] for g in M.GROUP_IDS}

    # orders 2, 1, 0
    for (f, a, b), succ in c.c2.items():
        if sum(succ.values()) < p.o2_min_count:
            continue
        table = {ids[k]: v for k, v in succ.items() if k in ids}
        entries, esc = order_table(table, len(table), p.d2, p.e2, p)
        groups[M.G_ORDER2].append(((f, tid(a), tid(b)), entries, esc))
    for (f, b), succ in c.c1.items():
        if p.kn:
            table = {ids[k]: float(len(c.left1[(f, b)][k])) for k in succ if k in ids}
        else:
            table = {ids[k]: v for k, v in succ.items() if k in ids}
        entries, esc = order_table(table, len(table), p.d1, p.e1, p)
        groups[M.G_ORDER1].append(((f, tid(b), 0), entries, esc))
    for f in range(M.N_FIELDS):
        succ = c.c0.get(f, Counter({"": 1.0}))
        if p.kn:
            table = {ids[k]: float(len(c.left0[f][k])) for k in succ if k in ids}
        else:
            table = {ids[k]: v for k, v in succ.items() if k in ids}
        table.setdefault(M.END, 1.0)
        entries, esc = order_table(table, len(table), p.d0, p.e0, p)
        groups[M.G_ORDER0].append(((f, 0, 0), entries, esc))

    # general table: corpus unigram mixed with wordfreq
    dom_total = sum(c.unigram.values())
    wf_total = sum(fr for _, fr in wf_top)
    prob: dict[int, float] = defaultdict(float)
    for k, v in c.unigram.items():
        if k in ids:
            prob[ids[k]] += p.general_domain * v / dom_total
    for w, fr in wf_top:
        prob[ids[" " + w]] += (1.0 - p.general_domain) * fr / wf_total
    unit = (MAX_G_TOTAL // 2) * (1.0 - p.general_oov)
    entries = [(i, max(1, round(prob.get(i, 0.0) * unit))) for i in range(1, len(vocab))]
    g_esc = max(1, round(MAX_G_TOTAL // 2 * p.general_oov))
    assert sum(fr for _, fr in entries) + g_esc <= MAX_G_TOTAL
    groups[M.G_GENERAL].append(((0, 0, 0), entries, g_esc))

    # spelling kinds: what a word outside the vocabulary looks like (corpus singletons outside wordfreq)
    kinds = Counter({k: 1.0 for k in range(M.N_KINDS)})
    wf_keys = {" " + w for w, _ in wf_top}
    for k, v in c.unigram.items():
        if v > 1.0 or k in wf_keys:
            continue
        if M.is_word(k):
            kinds[M.K_WORD_SPACE if k[0] == " " else M.K_WORD] += 1
        elif M.NUMBER_RE.fullmatch(k):
            kinds[M.K_NUMBER_SPACE if k[0] == " " else M.K_NUMBER] += 1
        else:
            kinds[M.K_CHAR] += 1
    kind_entries = sorted((k, max(1, round(v))) for k, v in kinds.items())
    for f in range(M.N_FIELDS):
        groups[M.G_KIND].append(((f, 0, 0), kind_entries, 0))

    # letters: order-2 over the wordfreq words that are *not* in the vocabulary (what gets spelled)
    letters: dict = defaultdict(Counter)
    for w, _ in wf[p.wordfreq_words :]:
        p2 = p1 = M.LETTER_PAD
        for ch in w:
            x = ord(ch) - 97
            letters[(p2, p1)][x] += 1
            p2, p1 = p1, x
        letters[(p2, p1)][M.LETTER_END] += 1
    for p2 in range(28):
        for p1 in range(28):
            if p2 == M.LETTER_END or p1 == M.LETTER_END:
                continue
            if p1 == M.LETTER_PAD and p2 != M.LETTER_PAD:
                continue
            cnt = letters.get((p2, p1), Counter())
            entries = [(x, cnt.get(x, 0) + 1) for x in range(27)]
            groups[M.G_LETTER].append(((p2, p1, 0), entries, 0))

    # digits
    for prev in range(11):
        cnt = c.digits.get(prev, Counter())
        entries = [(d, max(1, round(4 * cnt.get(d, 0))) + 1) for d in range(11)]
        groups[M.G_DIGIT].append(((prev, 0, 0), entries, 0))

    # single characters
    chars: dict[int, float] = defaultdict(float)
    for cp in range(32, 127):
        if not chr(cp).isalnum():
            chars[cp] += 1.0
    for cp in map(ord, "éèêëàâäáíïîóöôúüûçñ’‘“”—–…°×·"):
        chars[cp] += 0.5
    for cp, v in c.chars.items():
        chars[cp] += v
    ch_entries, ch_esc = quantize(dict(chars), 2.0, 4.0)
    groups[M.G_CHAR].append(((0, 0, 0), ch_entries, ch_esc))

    # case classes
    for f in range(M.N_FIELDS):
        for prevcase in range(5):
            cnt = c.case.get((f, prevcase), Counter())
            entries, _ = quantize({k: cnt.get(k, 0.0) + 0.5 for k in range(4)}, 0, 8.0)
            groups[M.G_CASE].append(((f, prevcase, 0), entries, 0))

    # flags
    for i in range(MORE_CONTEXTS + 1):
        cnt = c.more.get(i, Counter())
        entries, _ = quantize({k: cnt.get(k, 0.0) + 0.5 for k in range(2)}, 0, 8.0)
        groups[M.G_MORE].append(((i, 0, 0), entries, 0))
    entries, _ = quantize({k: c.style.get(k, 0.0) + 0.5 for k in range(2)}, 0, 8.0)
    groups[M.G_STYLE].append(((0, 0, 0), entries, 0))

    return M.dump_model(vocab, groups)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--codec", choices=sorted(MODELS), default="lm-ac-v1", help="which shipped model to build")
    ap.add_argument("--out", type=Path, help="write the (uncompressed) model file here instead of into the package, "
                    "where lm-ac-v2 is stored zlib-compressed")
    ap.add_argument("--wordfreq-tsv", type=Path, help="word<TAB>frequency lines instead of the wordfreq package")
    ap.add_argument("--dump-wordfreq", type=Path, help="write the wordfreq table as TSV and stop")
    args = ap.parse_args(argv)
    wf = wordfreq_table(args.wordfreq_tsv)
    if args.dump_wordfreq:
        args.dump_wordfreq.write_text("".join(f"{w}\t{f!r}\n" for w, f in wf), encoding="utf-8")
        return 0
    name, p = MODELS[args.codec]
    out = args.out or DATA / name
    for path, _ in p.corpora:
        print(f"{path}: sha256 {hashlib.sha256((ROOT / corpus_file(path)).read_bytes()).hexdigest()}")
    wf_digest = hashlib.sha256("".join(f"{w}\t{f!r}\n" for w, f in wf).encode()).hexdigest()
    print(f"wordfreq {WORDFREQ_VERSION} en/large [a-z]+ table: {len(wf)} words, sha256 {wf_digest}")
    corpora = [(read_corpus(path), w) for path, w in p.corpora]
    data = build(corpora, wf, p)
    print(f"model file {name}: {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}")
    if args.out is None and name in M.PACKED:  # stored zlib-compressed in the package
        out = DATA / (name + M.PACKED_SUFFIX)
        data = zlib.compress(data, 9)
    out.write_bytes(data)
    print(f"wrote {out}: {len(data)} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
