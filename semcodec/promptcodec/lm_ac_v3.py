"""``lm-ac-v3`` (prompt codec ID 4): each token from a network mixed with count tables (spec/promptcodec-lm-ac-v3.md).

The symbol sequence, the range coder and the validity rule (a payload is valid
only if it is exactly the encoding of the prompt it decodes to) are
``lm-ac-v1``'s, and so are the count file's tables (``lm-ac-v3-ngram.bin``, in
the v1 layout).  What changes is how a token is coded: in one table, the
mixture of the integer network of :mod:`.nn_model` and the count tables'
order-2/1/0/general chain read as a distribution over the network's symbols
(its vocabulary, END, OTHER).  An OTHER token is then coded in the fallback
table (the general table without the network's vocabulary), escaping to
spelling.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..errors import FormatError
from ..prompt import Prompt
from . import lm_model as M
from . import nn_model as N
from .lm_ac import _FIELD_LIMITS, _ZERO, _append, _Decoder, _Encoder, _field_text, encode_sequence, finish_decode


ONE = 1 << 36  # the n-gram distribution's fixed-point unit (section 2.2)


class _NGram:
    """The count tables' token chain as a distribution over the network's output symbols (section 2.2)."""

    def __init__(self, base: M.Model, net: N.NetModel) -> None:
        self.base, self.net = base, net
        g = base.groups
        self.o2, self.o1, self.o0 = g[M.G_ORDER2], g[M.G_ORDER1], g[M.G_ORDER0]
        self.general = g[M.G_GENERAL].get(_ZERO)
        nn_of = np.full(len(base.vocab), -1, dtype=np.int64)
        nn_of[M.END] = N.END
        for key, i in net.ids.items():
            j = base.ids.get(key)
            if j is not None:
                nn_of[j] = i
        self.nn_of = nn_of
        self._arrays: dict = {}

    def arrays(self, table: M.Table) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(network symbols, frequencies) of the table's symbols that have one, and a mask of them."""
        a = self._arrays.get(id(table))
        if a is None:
            idx = self.nn_of[np.asarray(table.syms, dtype=np.int64)]
            keep = idx >= 0
            mask = np.zeros(self.net.V, dtype=bool)
            mask[idx[keep]] = True
            a = self._arrays[id(table)] = (idx[keep], np.asarray(table.freqs, dtype=np.int64)[keep], mask, table)
        return a[:3]

    def probs(self, f: int, a: int, b: int) -> np.ndarray:
        """int64 [V] summing to ONE: each network symbol's probability under the chain; OTHER gets the rest."""
        return self.chain(f, a, b)[0]

    def chain(self, f: int, a: int, b: int) -> tuple[np.ndarray, int, int]:
        """``probs`` and the first table of the chain: its order (3 for order 2, 2, 1; 0 the general
        table) and its total (``lm-ac-v4``'s mixture weight depends on them)."""
        P = np.zeros(self.net.V, dtype=np.int64)
        first = None
        m = ONE
        upper = None
        for order, group, key in ((3, self.o2, (f, a, b)), (2, self.o1, (f, b, 0)), (1, self.o0, (f, 0, 0)), (0, None, None)):
            table = self.general if group is None else group.get(key)
            if table is None:
                continue
            if first is None:
                first = (order, table.total)
            total = table.total if upper is None else table.total - self.base.exclusion(upper, table).tot
            idx, freqs, _ = self.arrays(table)
            share = m * freqs // total
            if upper is not None:
                share[self.arrays(upper)[2][idx]] = 0
            P[idx] += share
            m = m * table.esc // total
            upper = table
        P[self.net.OTHER] += ONE - int(P.sum())
        return P, *first


@lru_cache(maxsize=None)
def load_models(count_file: str, net_file: str) -> tuple[M.Model, N.NetModel, M.Table, _NGram]:
    """The count tables, the network, the fallback table (the general table minus the network's vocabulary), the chain."""
    base = M.load_model(count_file)
    net = N.load_net(net_file)
    general = base.groups[M.G_GENERAL].get(_ZERO)
    keep = [(s, f) for s, f in zip(general.syms, general.freqs) if base.vocab[s] not in net.ids]
    fallback = M.Table([s for s, _ in keep], [f for _, f in keep], general.esc)
    return base, net, fallback, _NGram(base, net)


def _models() -> tuple[M.Model, N.NetModel, M.Table, _NGram]:
    """lm-ac-v3's models."""
    return load_models(M.MODEL_FILE_V3, N.MODEL_FILE)


def _field_code(f: int, index: int) -> int:
    return 4 + min(index, 3) if f == M.F_OBJECT else f


class _Context:
    """What the models see: the prompt's recent symbols (the bag), the field's last symbols and token ids."""

    def __init__(self, net: N.NetModel, ngram: _NGram, memo: dict | None = None) -> None:
        self.net, self.ngram = net, ngram
        self.memo = memo  # context -> (symbol, cum, freq, total) a decode found, for its re-encoding check
        self.bag: list[int] = []
        self.nets = (net, *self.more_nets())
        self.bag_sums = [np.zeros(n.emb.shape[1], dtype=np.int64) for n in self.nets]  # one per network

    def more_nets(self) -> tuple[N.NetModel, ...]:
        """Networks averaged with the first (a successor codec's, lm-ac-v5); none here."""
        return ()

    def start(self, f: int, code: int) -> None:
        self.f, self.code = f, code
        self.prev = [self.net.BOS] * N.CONTEXT
        self.a = self.b = M.END
        self.t = 0

    def key(self) -> tuple:
        """Everything the mixed table depends on."""
        return (self.f, self.code, self.t, self.a, self.b, *self.prev, *self.bag)

    def freqs(self) -> np.ndarray:
        """The mixed table (section 2.3): int64 [V], each >= 1, total <= 2**24."""
        g = self.mixture()
        return 1 + g * (N.FREQ_TOTAL - self.net.V) // int(g.sum())

    def mixture(self) -> np.ndarray:
        """g of section 2.3: the network's and the chain's distributions mixed, int64 [V] summing to about 2**24."""
        P, order, total = self.ngram.chain(self.f, self.a, self.b)
        lam = self.weight(order, total)
        return (lam * self.net_q() + (256 - lam) * P) >> 20

    def net_q(self) -> np.ndarray:
        """The networks' distributions, each scaled to ONE, averaged (one network here): int64 [V]."""
        t, n = min(self.t, N.N_POSITIONS - 1), len(self.bag)
        fs = [net.freqs(self.prev, self.code, t, s, n) for net, s in zip(self.nets, self.bag_sums)]
        return sum(f * ONE // int(f.sum()) for f in fs) // len(fs)

    def weight(self, order: int, total: int) -> int:
        """The network's weight (of 256) in the mixture: the network file's, per field code."""
        return int(self.net.mix[self.code])

    def push(self, sym: int, tid: int) -> None:
        self.bag.append(sym)
        old = self.bag.pop(0) if len(self.bag) > N.BAG else None
        for net, s in zip(self.nets, self.bag_sums):
            s += net.emb[sym]
            if old is not None:
                s -= net.emb[old]
        self.prev = [sym, *self.prev[:-1]]
        self.a, self.b = self.b, tid
        self.t += 1


class _NetEncoder(_Encoder):
    models = staticmethod(_models)
    context = _Context

    def __init__(self, memo: dict | None = None) -> None:
        base, self.net, self.fallback, ngram = self.models()
        super().__init__(base)
        self.ctx = self.context(self.net, ngram, memo)
        self.index = 0

    def field(self, f: int, text: str) -> None:
        m, net, ctx = self.m, self.net, self.ctx
        prevcase = 0
        ctx.start(f, _field_code(f, self.index))
        for tok in M.tokenize(text) if text else ():
            word = M.is_word(tok)
            key = tok.lower() if word else tok
            sym = net.ids.get(key, net.OTHER)
            tid = m.ids.get(key)
            self.net_sym(sym)
            if sym == net.OTHER:
                if tid is not None and tid in self.fallback.index:
                    self.sym(self.fallback, tid)
                else:
                    self.esc(self.fallback)
                    self.spell(f, key)
            if word:
                prevcase = self.case(f, prevcase, tok)
            ctx.push(sym, m.unk if tid is None else tid)
        self.net_sym(N.END)
        ctx.push(N.END, M.END)
        if f == M.F_OBJECT:
            self.index += 1

    def net_sym(self, sym: int) -> None:
        """Code ``sym`` in the mixed table of the current context."""
        ctx = self.ctx
        seen = ctx.memo.get(ctx.key()) if ctx.memo is not None else None
        if seen is not None and seen[0] == sym:  # the decode being checked met this context and symbol
            self.rc.encode(*seen[1:])
            return
        freqs = ctx.freqs()
        self.rc.encode(int(freqs[:sym].sum()), int(freqs[sym]), int(freqs.sum()))


class _NetDecoder(_Decoder):
    models = staticmethod(_models)
    context = _Context

    def __init__(self, payload: bytes, memo: dict | None = None) -> None:
        base, self.net, self.fallback, ngram = self.models()
        super().__init__(base, payload)
        self.ctx = self.context(self.net, ngram, memo)
        self.index = 0

    def net_sym(self) -> int:
        """Decode a symbol of the mixed table of the current context."""
        ctx = self.ctx
        cums = np.cumsum(ctx.freqs())
        total = int(cums[-1])
        v = self.rc.target(total)
        i = int(np.searchsorted(cums, v, side="right"))
        start = int(cums[i - 1]) if i else 0
        self.rc.consume(start, int(cums[i]) - start)
        if ctx.memo is not None:
            ctx.memo[ctx.key()] = (i, start, int(cums[i]) - start, total)
        return i

    def field(self, f: int) -> str:
        m, net, ctx = self.m, self.net, self.ctx
        vocab = m.vocab
        limit = _FIELD_LIMITS[f] + 1  # the coded text carries one leading space
        used = 0
        parts: list[str] = []
        prevcase = 0
        ctx.start(f, _field_code(f, self.index))
        while True:
            sym = self.net_sym()
            if sym == N.END:
                break
            if sym != net.OTHER:
                tok = net.vocab[sym]
                tid = m.ids.get(tok, m.unk)
            else:
                s = self.sym(self.fallback)
                tok = vocab[s] if s >= 0 else self.spell(f, limit - used)
                tid = s if s >= 0 else m.unk
            if M.is_word(tok):
                tok, prevcase = self.case(f, prevcase, tok)
            used = _append(parts, tok, used, limit)
            ctx.push(sym, tid)
        ctx.push(N.END, M.END)
        if f == M.F_OBJECT:
            self.index += 1
        return _field_text(parts)


def encode(prompt: Prompt) -> bytes:
    return encode_sequence(_NetEncoder(), prompt)


def decode(payload: bytes) -> Prompt:
    return decode_with(_NetEncoder, _NetDecoder, payload)


def decode_with(encoder: type[_NetEncoder], decoder: type[_NetDecoder], payload: bytes) -> Prompt:
    payload = bytes(payload)
    if not payload:
        raise FormatError("empty prompt payload")
    memo: dict = {}  # the re-encoding check meets the same contexts: compute each table once
    return finish_decode(decoder(payload, memo), payload, lambda prompt: encode_sequence(encoder(memo), prompt))
