"""The HTML report: one self-contained file people can look at.

``sembench rd --html`` writes ``OUT/report.html`` (:func:`build_rd_report`);
``semenc --html`` writes one image's refinement gallery
(:func:`build_encode_report`).  Everything is in the one file: images are
``data:`` URIs (PNG), the style sheet is inline, there is no script and
nothing is fetched.  All text (prompts above all: a describer may write
anything) goes through :func:`html.escape`.

The builders are pure: data in, HTML string out.  The data:

- a *gallery* (:func:`gallery_from_trace`): the encoder's rounds, compact and
  JSON-able (the sem codec keeps it in its cached ``info``): per round the
  candidates' text and text score, the chosen one, its K renders' seeds and
  CLIPSim and the winner (the best render);
- the renders themselves, one list of images per round (or ``None`` where they
  are not at hand, e.g. a non-deterministic decoder whose renders cannot be
  reproduced): :func:`rerender_gallery` reproduces them exactly for a seeded
  deterministic decoder from the text and seeds.
"""

from __future__ import annotations

import base64
import io
import math
from html import escape
from typing import Any, Sequence

STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;max-width:1400px}
h1{font-size:1.4em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc}h3{font-size:1.05em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;font-size:.9em;text-align:right}
th{background:#f3f3f3}td.l,th.l{text-align:left}
.row{display:flex;flex-wrap:wrap;gap:10px;align-items:flex-start}
figure{margin:0;padding:4px;border:2px solid transparent;text-align:center;font-size:.8em;max-width:180px}
figure img{width:128px;height:auto;image-rendering:pixelated;display:block;margin:auto}
figure.winner{border-color:#2a8;background:#eefaf4}
figure.final{border-color:#c60}
.round{margin:.6em 0 1em 0;padding:.4em .6em;background:#fafafa;border-left:3px solid #ddd}
.chosen{font-weight:bold;background:#eefaf4}
.mark{color:#2a8;font-weight:bold}
.note{color:#666;font-size:.85em}
code,.prompt{font-family:ui-monospace,monospace;font-size:.85em;word-break:break-word}
"""


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


def gallery_from_trace(trace: Any) -> dict:
    """The compact gallery of one :class:`semcodec.trace.ImageTrace` (JSON-able)."""
    rounds = []
    for it in trace.iterations:
        sims = [float(r.clipsim) for r in it.renders]
        rounds.append({
            "t": it.t,
            "mode": it.mode,
            "candidates": [{"text": c.text, "clip_text": float(c.clip_text), "file_bytes": c.file_bytes,
                            "shortened": c.shortened} for c in it.prompts],
            "chosen": it.chosen,
            "renders": [{"seed": r.seed, "clipsim": float(r.clipsim)} for r in it.renders],
            "winner": max(range(len(sims)), key=lambda j: sims[j]) if sims else None,
            "improved": bool(it.improved),
            "best_clipsim": float(it.best_clipsim),
        })
    res = trace.result
    return {
        "deterministic": bool(trace.decoder.get("deterministic", False)),
        "decoder": trace.decoder.get("name"),
        "rounds": rounds,
        "file_bytes": res.file_bytes if res is not None else None,
        "final_text": res.text if res is not None else None,
        "best_t": res.best_t if res is not None else None,
        "best_seed": res.seed if res is not None else None,
        "clipsim": float(res.clipsim) if res is not None else None,
    }


def rerender_gallery(gallery: dict, generator: Any, width: int, height: int) -> list | None:
    """Each round's K renders of its chosen prompt, re-made with ``generator`` (a list per round).

    Exact for a seeded deterministic decoder (the same text and seeds give the
    same pixels); ``None`` for a non-deterministic one (a re-render would be a
    different picture, and may cost money).
    """
    if not gallery.get("deterministic") or not getattr(generator.spec, "deterministic", False):
        return None
    from ..imageio import fit_to_size

    out = []
    for rnd in gallery["rounds"]:
        text = rnd["candidates"][rnd["chosen"]]["text"]
        seeds = [r["seed"] for r in rnd["renders"]]
        out.append([fit_to_size(r.image, width, height) for r in generator.render(text, seeds)])
    return out


def data_uri(image: Any, fmt: str = "PNG") -> str:
    """A PIL image (or already-encoded PNG/WebP bytes) as a ``data:`` URI."""
    if isinstance(image, (bytes, bytearray)):
        raw = bytes(image)
        mime = "image/webp" if raw[:4] == b"RIFF" else "image/png"
    else:
        buf = io.BytesIO()
        image.convert("RGB").save(buf, format=fmt)
        raw = buf.getvalue()
        mime = f"image/{fmt.lower()}"
    return f"data:{mime};base64,{base64.b64encode(raw).decode('ascii')}"


# ---------------------------------------------------------------------------
# Pieces
# ---------------------------------------------------------------------------


def _num(v: Any, spec: str = ".4f") -> str:
    if v is None:
        return "–"
    if isinstance(v, float) and not math.isfinite(v):
        return "∞"
    if isinstance(v, (int, float)):
        return format(v, spec)
    return escape(str(v))


def _figure(image: Any, caption: str, cls: str = "", alt: str = "") -> str:
    """``caption`` is HTML already escaped by the caller."""
    c = f' class="{cls}"' if cls else ""
    return f'<figure{c}><img src="{data_uri(image)}" alt="{escape(alt)}"><figcaption>{caption}</figcaption></figure>'


def gallery_html(gallery: dict, renders: Sequence | None = None) -> str:
    """One image's rounds: candidates with text scores (chosen marked), the K renders (winner marked)."""
    parts = []
    g = gallery
    final = (f'<p>File: <b>{_num(g.get("file_bytes"), "d")} bytes</b>, from round {_num(g.get("best_t"), "d")}, '
             f'seed {_num(g.get("best_seed"), "d")}, CLIPSim {_num(g.get("clipsim"))}: '
             f'<span class="prompt">{escape(str(g.get("final_text") or ""))}</span></p>')
    parts.append(final)
    for i, rnd in enumerate(g.get("rounds", [])):
        rows = []
        for ci, c in enumerate(rnd["candidates"]):
            chosen = ci == rnd["chosen"]
            rows.append(f'<tr{" class=chosen" if chosen else ""}><td>{ci}</td><td>{_num(c["clip_text"])}</td>'
                        f'<td>{_num(c["file_bytes"], "d")}</td><td class=l>{escape(c["shortened"] or "")}</td>'
                        f'<td class="l prompt">{escape(c["text"])}{" <span class=mark>◀ chosen</span>" if chosen else ""}'
                        f'</td></tr>')
        table = ('<table><tr><th>#</th><th>text score</th><th>file B</th><th class=l>shortened</th>'
                 f'<th class=l>candidate</th></tr>{"".join(rows)}</table>')
        figs = []
        imgs = renders[i] if renders is not None and i < len(renders) else None
        for j, r in enumerate(rnd["renders"]):
            win = j == rnd.get("winner")
            final_here = g.get("best_t") == rnd["t"] and r["seed"] == g.get("best_seed") and win
            cap = f'seed {_num(r["seed"], "d")}<br>CLIPSim {_num(r["clipsim"])}'
            if win:
                cap += '<br><span class="mark">★ winner</span>'
            if final_here:
                cap += '<br><b>in the file</b>'
            cls = " ".join(x for x in ("winner" if win else "", "final" if final_here else "") if x)
            if imgs is not None and j < len(imgs) and imgs[j] is not None:
                figs.append(_figure(imgs[j], cap, cls, alt=f"round {rnd['t']} seed {r['seed']}"))
            else:
                figs.append(f'<figure class="{cls}"><div class=note>(render not kept)</div><figcaption>{cap}</figcaption></figure>')
        head = (f'<h3>Round {rnd["t"]} ({escape(rnd["mode"])}){" — new best" if rnd.get("improved") else ""}; '
                f'best so far CLIPSim {_num(rnd.get("best_clipsim"))}</h3>')
        parts.append(f'<div class="round">{head}{table}<div class="row">{"".join(figs)}</div></div>')
    if renders is None and g.get("rounds"):
        parts.append('<p class=note>Renders are not shown: the decoder is not deterministic, so they cannot be reproduced.</p>')
    return "\n".join(parts)


def _page(title: str, body: str) -> str:
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>{escape(title)}</title>'
            f'<style>{STYLE}</style></head>\n<body>\n{body}\n</body></html>\n')


TABLE_COLUMNS = (("codec", "codec", None), ("param", "param", None), ("bpp", "bpp", ".5f"),
                 ("mean_bytes", "mean bytes", ".1f"), ("clipsim", "CLIPSim", ".4f"),
                 ("clipsim_judge", "judge", ".4f"), ("oracle_f1", "oracle F1", ".3f"))


def results_table_html(rows: Sequence[dict]) -> str:
    """The summary's numbers, one row per (codec, param); the oracle column only when some row has it."""
    cols = [c for c in TABLE_COLUMNS if c[0] != "oracle_f1" or any(r.get("oracle_f1") is not None for r in rows)]
    head = "".join(f'<th{" class=l" if spec is None else ""}>{escape(label)}</th>' for _, label, spec in cols)
    body = []
    for r in rows:
        cells = []
        for key, _, spec in cols:
            v = r.get(key)
            cells.append(f'<td class=l>{escape(str(v))}</td>' if spec is None else f'<td>{_num(v, spec)}</td>')
        body.append(f'<tr>{"".join(cells)}</tr>')
    return f'<table><tr>{head}</tr>{"".join(body)}</table>'


# ---------------------------------------------------------------------------
# Whole pages
# ---------------------------------------------------------------------------


def build_rd_report(*, title: str, rd_png: bytes | None, table: Sequence[dict], images: Sequence[dict],
                    command: str = "", notes: Sequence[str] = ()) -> str:
    """``sembench rd``'s report.

    ``images``: one dict per image: ``name``, ``original`` (PIL image or PNG
    bytes), ``recons`` (list of dicts ``codec``, ``param``, ``bytes``,
    ``clipsim``, ``image`` (or None)), and optionally ``gallery`` (the sem
    codec's), ``gallery_param`` and ``renders`` (see :func:`gallery_html`).
    """
    body = [f'<h1>{escape(title)}</h1>']
    if command:
        body.append(f'<p>Command: <code>{escape(command)}</code></p>')
    for n in notes:
        body.append(f'<p class=note>{escape(n)}</p>')
    body.append('<h2>Rate–distortion</h2>')
    if rd_png:
        body.append(f'<img src="{data_uri(rd_png)}" alt="rate-distortion plot" style="max-width:100%">')
    else:
        body.append('<p class=note>(no plot)</p>')
    body.append('<h2>Results</h2>')
    body.append(results_table_html(table))
    body.append('<h2>Images</h2>')
    for im in images:
        body.append(f'<h2>{escape(im["name"])}</h2>')
        figs = [_figure(im["original"], "<b>original</b>", alt=f'{im["name"]} original')]
        for r in im.get("recons", []):
            cap = (f'{escape(str(r["codec"]))} {escape(str(r["param"]))}<br>{_num(r.get("bytes"), "d")} B, '
                   f'CLIPSim {_num(r.get("clipsim"))}')
            if r.get("image") is not None:
                figs.append(_figure(r["image"], cap, alt=f'{r["codec"]} {r["param"]}'))
            else:
                figs.append(f'<figure><div class=note>(no image)</div><figcaption>{cap}</figcaption></figure>')
        body.append(f'<div class="row">{"".join(figs)}</div>')
        if im.get("gallery") is not None:
            body.append(f'<h3>sem refinement at budget {escape(str(im.get("gallery_param", "")))}</h3>')
            body.append(gallery_html(im["gallery"], im.get("renders")))
    return _page(title, "\n".join(body))


def build_encode_report(*, name: str, original: Any, gallery: dict, renders: Sequence | None = None,
                        output: str | None = None) -> str:
    """``semenc --html``: one image's original and refinement gallery."""
    title = f"semenc: {name}"
    body = [f'<h1>{escape(title)}</h1>']
    if output:
        body.append(f'<p>Output: <code>{escape(output)}</code></p>')
    body.append(f'<div class="row">{_figure(original, "<b>original</b>", alt="original")}</div>')
    body.append(gallery_html(gallery, renders))
    return _page(title, "\n".join(body))
