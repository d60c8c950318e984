"""``lm-ac-v1``: a static token model and a range coder (spec/promptcodec-lm-ac-v1.md).

The payload is one range-coded stream, self-delimiting through explicit
end-of-field symbols and the coder's shortest-tail termination.  Decoding is
bounded by the prompt limits; a payload is valid only if it is exactly the
canonical encoding of the prompt it decodes to, so leftover bytes, truncation
and any other non-canonical byte string are refused with :class:`FormatError`.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from ..errors import FormatError, PromptError
from ..prompt import (
    MAX_LIGHTING_BYTES,
    MAX_OBJECT_BYTES,
    MAX_OBJECTS,
    MAX_SCENE_BYTES,
    MAX_STYLE_BYTES,
    Prompt,
)
from . import lm_model as M
from .rangecoder import RangeDecoder, RangeEncoder

MORE_CONTEXTS = 16  # G_MORE context is min(object index, 16)
_FIELD_LIMITS = {
    M.F_SCENE: MAX_SCENE_BYTES,
    M.F_OBJECT: MAX_OBJECT_BYTES,
    M.F_LIGHTING: MAX_LIGHTING_BYTES,
    M.F_STYLE: MAX_STYLE_BYTES,
}
_ZERO = (0, 0, 0)


class _CaseTables:
    """Where the coder and decoder find a word's case table (section 5.2 step 2)."""

    m: M.Model

    def case_table(self, f: int, prevcase: int, tok: str) -> M.Table:
        """The count file's case table, by field and previous case (a successor codec, lm-ac-v6,
        also looks at the word ``tok``, the token as coded or as decoded, lower case)."""
        return self.m.groups[M.G_CASE].get((f, prevcase, 0))


class _Encoder(_CaseTables):
    def __init__(self, model: M.Model) -> None:
        self.m = model
        self.rc = RangeEncoder()
        g = model.groups
        self.o2, self.o1, self.o0 = g[M.G_ORDER2], g[M.G_ORDER1], g[M.G_ORDER0]
        self.general = g[M.G_GENERAL].get(_ZERO)

    def finish(self) -> bytes:
        """The payload: the range coder's prefix-free termination (section 4)."""
        return self.rc.finish()

    def sym(self, table: M.Table, s: int) -> None:
        i = table.index[s]
        self.rc.encode(table.cums[i], table.freqs[i], table.total)

    def esc(self, table: M.Table) -> None:
        self.rc.encode(table.total - table.esc, table.esc, table.total)

    def flag(self, gid: int, ctx: tuple[int, int, int], value: int) -> None:
        self.sym(self.m.groups[gid].get(ctx), value)

    def token(self, f: int, a: int, b: int, tid: int | None) -> None:
        """Code a vocabulary id (or END) through the orders; None means escape to spelling.

        Each table after the first excludes the symbols of the table that escaped to it."""
        rc = self.rc
        upper = None
        for group, key in ((self.o2, (f, a, b)), (self.o1, (f, b, 0)), (self.o0, (f, 0, 0)), (None, None)):
            if group is None:
                table = self.general
            else:
                table = group.get(key)
                if table is None:
                    continue
            if upper is None:
                if tid is not None and tid in table.index:
                    i = table.index[tid]
                    rc.encode(table.cums[i], table.freqs[i], table.total)
                    return
                if group is None:  # pragma: no cover - order 0 always exists
                    break
                rc.encode(table.total - table.esc, table.esc, table.total)
            else:
                ex = self.m.exclusion(upper, table)
                total = table.total - ex.tot
                if tid is not None and tid in table.index:
                    i = table.index[tid]
                    rc.encode(table.cums[i] - ex.E[bisect_left(ex.pos, i)], table.freqs[i], total)
                    return
                rc.encode(total - table.esc, table.esc, total)
            upper = table

    def spell(self, f: int, key: str) -> None:
        groups = self.m.groups
        kind_table = groups[M.G_KIND].get((f, 0, 0))
        if M.is_word(key):
            spaced = key[0] == " "
            if not spaced and (" " + key) in self.m.ids:
                self.sym(kind_table, M.K_WORD_FROM_GENERAL)
                self.sym(self.general, self.m.ids[" " + key])
                return
            self.sym(kind_table, M.K_WORD_SPACE if spaced else M.K_WORD)
            letters = groups[M.G_LETTER]
            p2 = p1 = M.LETTER_PAD
            for ch in key.lstrip(" "):
                c = ord(ch) - 97
                self.sym(letters.get((p2, p1, 0)), c)
                p2, p1 = p1, c
            self.sym(letters.get((p2, p1, 0)), M.LETTER_END)
        elif key[-1].isdigit() and key[-1].isascii():
            spaced = key[0] == " "
            self.sym(kind_table, M.K_NUMBER_SPACE if spaced else M.K_NUMBER)
            digits = groups[M.G_DIGIT]
            p = M.DIGIT_END
            for ch in key.lstrip(" "):
                d = ord(ch) - 48
                self.sym(digits.get((p, 0, 0)), d)
                p = d
            self.sym(digits.get((p, 0, 0)), M.DIGIT_END)
        else:
            self.sym(kind_table, M.K_CHAR)
            chars = groups[M.G_CHAR].get(_ZERO)
            cp = ord(key)
            if cp in chars.index:
                self.sym(chars, cp)
            else:
                self.esc(chars)
                self.rc.encode(cp, 1, M.CODEPOINTS)

    def case(self, f: int, prevcase: int, tok: str) -> int:
        """Code a word token's case class (and mixed-case bits, section 5.2 step 2); the next previous-case context."""
        letters = tok.lstrip(" ")
        cls = M.case_class(letters)
        self.sym(self.case_table(f, prevcase, tok), cls)
        if cls == M.C_MIXED:
            for ch in letters:
                self.rc.encode(1 if ch.isupper() else 0, 1, 2)
        return cls + 1

    def field(self, f: int, text: str) -> None:
        m = self.m
        ids = m.ids
        a = b = M.END
        prevcase = 0
        for tok in M.tokenize(text) if text else ():
            word = M.is_word(tok)
            key = tok.lower() if word else tok
            tid = ids.get(key)
            self.token(f, a, b, tid)
            if tid is None:
                self.spell(f, key)
            if word:
                prevcase = self.case(f, prevcase, tok)
            a, b = b, (tid if tid is not None else m.unk)
        self.token(f, a, b, M.END)


def encode_with(model: M.Model, prompt: Prompt) -> bytes:
    return encode_sequence(_Encoder(model), prompt)


def encode_sequence(e: _Encoder, prompt: Prompt) -> bytes:
    """Code the prompt's symbol sequence (section 5.1) with ``e``; the payload."""
    e.field(M.F_SCENE, prompt.scene)
    for i, obj in enumerate(prompt.objects):
        e.flag(M.G_MORE, (min(i, MORE_CONTEXTS), 0, 0), 1)
        e.field(M.F_OBJECT, obj)
    e.flag(M.G_MORE, (min(len(prompt.objects), MORE_CONTEXTS), 0, 0), 0)
    e.field(M.F_LIGHTING, prompt.lighting)
    e.flag(M.G_STYLE, _ZERO, 0 if prompt.style is None else 1)
    if prompt.style is not None:
        e.field(M.F_STYLE, prompt.style)
    return e.finish()


class _Decoder(_CaseTables):
    def __init__(self, model: M.Model, payload: bytes) -> None:
        self.m = model
        self.rc = RangeDecoder(payload)
        g = model.groups
        self.o2, self.o1, self.o0 = g[M.G_ORDER2], g[M.G_ORDER1], g[M.G_ORDER0]
        self.general = g[M.G_GENERAL].get(_ZERO)

    def sym(self, table: M.Table) -> int:
        """Decode one symbol of ``table``; -1 means its escape."""
        i = self.rc.decode_cum(table.cums, table.total)
        return table.syms[i] if i < table.n else -1

    def flag(self, gid: int, ctx: tuple[int, int, int]) -> int:
        return self.sym(self.m.groups[gid].get(ctx))

    def token(self, f: int, a: int, b: int) -> int:
        """A vocabulary id, END, or -1 for a spelled token."""
        rc = self.rc
        upper = None
        for group, key in ((self.o2, (f, a, b)), (self.o1, (f, b, 0)), (self.o0, (f, 0, 0)), (None, None)):
            if group is None:
                table = self.general
            else:
                table = group.get(key)
                if table is None:
                    continue
            if upper is None:
                i = rc.decode_cum(table.cums, table.total)
            else:
                ex = self.m.exclusion(upper, table)
                v = rc.target(table.total - ex.tot)
                k = bisect_right(ex.r, v)
                e = ex.E[k]
                cums = table.cums
                i = bisect_right(cums, v + e) - 1
                end = cums[i + 1] if i + 1 < len(cums) else table.total
                rc.consume(cums[i] - e, end - cums[i])
            if i < table.n:
                return table.syms[i]
            upper = table
        return -1

    def spell(self, f: int, budget: int) -> str:
        groups = self.m.groups
        kind = self.sym(groups[M.G_KIND].get((f, 0, 0)))
        if kind == M.K_WORD_FROM_GENERAL:
            s = self.sym(self.general)
            tok = self.m.vocab[s] if s > 0 else ""
            if not (tok[:1] == " " and self.m.word[s]):
                raise FormatError("corrupt prompt payload (bad word reference)")
            return tok[1:]
        if kind in (M.K_WORD_SPACE, M.K_WORD, M.K_NUMBER_SPACE, M.K_NUMBER):
            spaced = kind in (M.K_WORD_SPACE, M.K_NUMBER_SPACE)
            out = [" "] if spaced else []
            if kind in (M.K_WORD_SPACE, M.K_WORD):
                letters = groups[M.G_LETTER]
                p2 = p1 = M.LETTER_PAD
                while True:
                    c = self.sym(letters.get((p2, p1, 0)))
                    if c == M.LETTER_END:
                        break
                    out.append(chr(97 + c))
                    if len(out) > budget:
                        raise FormatError("prompt payload decodes past the field size limit")
                    p2, p1 = p1, c
            else:
                digits = groups[M.G_DIGIT]
                p = M.DIGIT_END
                while True:
                    d = self.sym(digits.get((p, 0, 0)))
                    if d == M.DIGIT_END:
                        break
                    out.append(chr(48 + d))
                    if len(out) > budget:
                        raise FormatError("prompt payload decodes past the field size limit")
                    p = d
            if len(out) == int(spaced):
                raise FormatError("corrupt prompt payload (empty spelled token)")
            return "".join(out)
        # K_CHAR
        cp = self.sym(groups[M.G_CHAR].get(_ZERO))
        if cp < 0:
            cp = self.rc.target(M.CODEPOINTS)
            self.rc.consume(cp, 1)
        if 0xD800 <= cp <= 0xDFFF:
            raise FormatError("corrupt prompt payload (surrogate code point)")
        return chr(cp)

    def case(self, f: int, prevcase: int, tok: str) -> tuple[str, int]:
        """Decode a word token's case (section 5.2 step 2): the cased token and the next previous-case context."""
        cls = self.sym(self.case_table(f, prevcase, tok))
        lead = " " if tok[0] == " " else ""
        letters = tok[len(lead) :]
        if cls == M.C_MIXED:
            chars = []
            for ch in letters:
                bit = self.rc.target(2)
                self.rc.consume(bit, 1)
                chars.append(ch.upper() if bit else ch)
            return lead + "".join(chars), cls + 1
        return lead + M.apply_case(letters, cls), cls + 1

    def field(self, f: int) -> str:
        m = self.m
        vocab, word = m.vocab, m.word
        limit = _FIELD_LIMITS[f] + 1  # the coded text carries one leading space
        used = 0
        parts: list[str] = []
        a = b = M.END
        prevcase = 0
        while True:
            tid = self.token(f, a, b)
            if tid == M.END:
                break
            if tid > 0:
                tok = vocab[tid]
                is_word = word[tid]
            else:
                tok = self.spell(f, limit - used)
                is_word = M.is_word(tok)
                tid = m.unk
            if is_word:
                tok, prevcase = self.case(f, prevcase, tok)
            used = _append(parts, tok, used, limit)
            a, b = b, tid
        return _field_text(parts)


def _append(parts: list[str], tok: str, used: int, limit: int) -> int:
    """Add a decoded token to its field, refusing a field past its limit; the bytes used."""
    used += len(tok.encode("utf-8"))
    if used > limit:
        raise FormatError("prompt payload decodes past the field size limit")
    parts.append(tok)
    return used


def _field_text(parts: list[str]) -> str:
    """A decoded field's text: its tokens joined, the coded leading space checked and removed."""
    text = "".join(parts)
    if not text:
        return ""
    if text[0] != " ":
        raise FormatError("corrupt prompt payload (field does not start with the coded space)")
    return text[1:]


def decode_with(model: M.Model, payload: bytes) -> Prompt:
    if not payload:
        raise FormatError("empty prompt payload")
    return finish_decode(_Decoder(model, payload), payload, lambda prompt: encode_with(model, prompt))


def finish_decode(d: _Decoder, payload: bytes, encode_fn) -> Prompt:
    """Decode the symbol sequence (section 5) with ``d``; valid only if ``encode_fn`` gives back ``payload``."""
    scene = d.field(M.F_SCENE)
    objects: list[str] = []
    while d.flag(M.G_MORE, (min(len(objects), MORE_CONTEXTS), 0, 0)) == 1:
        if len(objects) == MAX_OBJECTS:
            raise FormatError(f"prompt payload has more than {MAX_OBJECTS} objects")
        objects.append(d.field(M.F_OBJECT))
    lighting = d.field(M.F_LIGHTING)
    style = d.field(M.F_STYLE) if d.flag(M.G_STYLE, _ZERO) == 1 else None
    try:
        prompt = Prompt(scene=scene, objects=tuple(objects), lighting=lighting, style=style)
    except PromptError as exc:
        raise FormatError(f"invalid prompt: {exc}") from None
    canonical = encode_fn(prompt)
    if canonical != payload:
        if len(payload) > len(canonical) and payload.startswith(canonical):
            raise FormatError("trailing bytes after the prompt payload")
        if len(payload) < len(canonical):
            raise FormatError("prompt payload is truncated")
        raise FormatError("prompt payload is not the canonical encoding of its prompt")
    return prompt


def encode(prompt: Prompt) -> bytes:
    return encode_with(M.load_model(M.MODEL_FILE), prompt)


def decode(payload: bytes) -> Prompt:
    return decode_with(M.load_model(M.MODEL_FILE), bytes(payload))
