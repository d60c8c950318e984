"""A byte-oriented range coder on integers only (spec/promptcodec-lm-ac-v1.md, section 4).

The coder keeps a 56-bit window: ``low`` in [0, 2**56) (plus a carry that is
propagated into the bytes already written) and ``range`` in [2**48, 2**56]
after each step.  A symbol is coded as (cum, freq, total) with
``1 <= freq``, ``cum + freq <= total <= MAX_TOTAL``.  Every product fits in an
unsigned 64-bit integer, so the arithmetic is the same on any machine.

Termination (``finish``): the encoder writes the shortest tail such that
*every* continuation of the output stays inside the final interval; the
decoder reads zero bytes past the end of the payload.  The outputs are
therefore prefix-free: no truncation of an output, and no output followed by
more bytes, is the output for any other symbol sequence.  ``finish_zero_tail``
(``lm-ac-v4``) writes the shortest non-empty output that, followed by zero
bytes, lies in the final interval: about a quarter of a byte shorter on
average, no longer prefix-free (the codec's re-encoding check and the
container's length framing take its place).
"""

from __future__ import annotations

from bisect import bisect_right

from ..errors import FormatError

WINDOW_BITS = 56
TOP = 1 << WINDOW_BITS  # range never exceeds this
BOTTOM = 1 << (WINDOW_BITS - 8)  # renormalise when range drops below this
LOW_MASK = TOP - 1
SHIFT = WINDOW_BITS - 8
WINDOW_BYTES = WINDOW_BITS // 8
MAX_TOTAL = 1 << 24


class RangeEncoder:
    """Encode (cum, freq, total) triples; ``finish()`` returns the bytes."""

    __slots__ = ("low", "range", "out")

    def __init__(self) -> None:
        self.low = 0
        self.range = TOP
        self.out = bytearray()

    def _carry(self) -> None:
        out = self.out
        i = len(out) - 1
        while out[i] == 0xFF:  # never runs past the first byte: the value stays below 1
            out[i] = 0
            i -= 1
        out[i] += 1

    def encode(self, cum: int, freq: int, total: int) -> None:
        r = self.range // total
        low = self.low + r * cum
        rng = r * freq
        if low >= TOP:
            low -= TOP
            self._carry()
        while rng < BOTTOM:
            self.out.append(low >> SHIFT)
            low = (low << 8) & LOW_MASK
            rng <<= 8
        self.low = low
        self.range = rng

    def finish(self) -> bytes:
        """Write the shortest tail whose every continuation stays in the final interval.

        The tail is the top bytes of the smallest multiple ``v`` of the largest
        ``m = 256**k`` with ``[v, v + m)`` inside ``[low, low + range)``: all
        byte strings that start with the output decode to the same symbols, so
        the set of outputs is prefix-free and no truncation of an output is
        another output.
        """
        return bytes(self._tail(whole_block=True))


    def finish_zero_tail(self) -> bytes:
        """The shortest non-empty output ``P`` such that ``P`` followed by zero bytes lies in the final interval.

        ``v`` is the smallest multiple of the largest ``m = 256**k`` in
        ``[low, low + range)``; its top bytes are the tail, and trailing zero
        bytes of the whole output are dropped (the decoder reads them back), but
        never the last byte: an output that would be empty is one zero byte.
        """
        return bytes(self._tail(whole_block=False)).rstrip(b"\0") or b"\0"

    def _tail(self, whole_block: bool) -> bytearray:
        """Append the top bytes of the smallest multiple ``v`` of the largest ``m = 256**k`` such that
        ``[v, v + m)`` (``whole_block``) or ``v`` alone lies in ``[low, low + range)``; the output."""
        low, rng = self.low, self.range
        k = WINDOW_BYTES
        while True:
            m = 1 << (8 * k)
            v = -(-low // m) * m  # smallest multiple of m >= low
            if v + (m if whole_block else 1) <= low + rng:
                break
            k -= 1
        if v >= TOP:
            v -= TOP
            self._carry()
        self.out += v.to_bytes(WINDOW_BYTES, "big")[: WINDOW_BYTES - k]
        return self.out


class RangeDecoder:
    """Mirror of :class:`RangeEncoder`; bytes past the end of the payload read as 0."""

    __slots__ = ("data", "pos", "code", "range", "_r")

    def __init__(self, data: bytes) -> None:
        self.data = data
        head = data[:WINDOW_BYTES]
        self.code = int.from_bytes(head + bytes(WINDOW_BYTES - len(head)), "big")
        self.pos = WINDOW_BYTES
        self.range = TOP
        self._r = 0

    def target(self, total: int) -> int:
        """The value in [0, total) that selects the next symbol; call ``consume`` after."""
        r = self.range // total
        v = self.code // r
        if v >= total:
            raise FormatError("corrupt prompt payload (range coder value out of bounds)")
        self._r = r
        return v

    def consume(self, cum: int, freq: int) -> None:
        r = self._r
        code = self.code - r * cum
        rng = r * freq
        if rng < BOTTOM:
            data, pos = self.data, self.pos
            n = len(data)
            while rng < BOTTOM:
                code = (code << 8) | (data[pos] if pos < n else 0)
                pos += 1
                rng <<= 8
            self.pos = pos
        self.code = code
        self.range = rng

    def decode_cum(self, cums: list[int], total: int) -> int:
        """Decode against a table given as cumulative starts (``cums[0] == 0``, ascending,
        sentinel-free); return the symbol index and consume it."""
        v = self.target(total)
        i = bisect_right(cums, v) - 1
        start = cums[i]
        end = cums[i + 1] if i + 1 < len(cums) else total
        self.consume(start, end - start)
        return i
