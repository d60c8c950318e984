"""Measuring the method in the synthetic world: refinement and seed choice under critic and judge.

Used by ``tools/world_eval.py`` (the committed measurement) and the tests.
For every image: encode with the given models, then score three pictures
against the original under both CLIPs -- ``t1_seed0`` (iteration 1, first
seed: what K=1, N=1 would send), ``t1_bestK`` (iteration 1, best of K seeds:
the describer's best first description) and ``final`` (the best after N
rounds: what the file decodes to).
"""

from __future__ import annotations

import math
import time

import numpy as np


def _stats(xs: list[float]) -> dict:
    a = np.asarray(xs, dtype=np.float64)
    return {"mean": float(a.mean()), "std": float(a.std(ddof=1)) if len(a) > 1 else 0.0, "n": int(len(a))}


def _paired(a: list[float], b: list[float]) -> dict:
    d = np.asarray(b) - np.asarray(a)
    se = d.std(ddof=1) / math.sqrt(len(d)) if len(d) > 1 else float("nan")
    return {"mean_gain": float(d.mean()), "se": float(se), "improved": int((d > 1e-6).sum()),
            "worse": int((d < -1e-6).sum()), "n": int(len(d))}


def refinement_study(images, *, budget: int, n: int, m: int, k: int, critic, judge, generator, describer,
                     loop: dict | None = None, truths: dict | None = None) -> dict:
    """``loop``: EncoderConfig loop behaviour (select/accept/margin; None: the config default).
    ``truths``: image name -> true prompt text; adds the world oracle for round 1 and the file."""
    from semcodec.encoder import EncoderConfig, encode_image
    from semcodec.registry import DEFAULT_PROMPT_CODEC
    from semcodec.prompt import Prompt

    rows = []
    for img in images:
        cfg = EncoderConfig(n=n, m=m, k=k, budget_bytes=budget, decoder=generator.spec.name,
                            prompt_codec=DEFAULT_PROMPT_CODEC, **(loop or {}))
        t0 = time.perf_counter()
        res = encode_image(img.image, config=cfg, critic=critic, generator=generator, describer=describer)
        secs = time.perf_counter() - t0
        it1 = res.trace.iterations[0]
        p1 = Prompt.from_dict(it1.prompts[it1.chosen].prompt)
        seed0 = it1.renders[0].seed
        seed_best = it1.best_seed
        pics = {
            "t1_seed0": generator.render(p1.text(), [seed0])[0].image,
            "t1_bestK": generator.render(p1.text(), [seed_best])[0].image,
            "final": generator.render(res.sem.prompt.text(), [res.sem.seed])[0].image,
        }
        row = {"image": img.name, "file_bytes": res.file_bytes, "t1_text": p1.text(), "final_text": res.sem.prompt.text(),
               "final_t": res.trace.result.best_t, "encode_s": secs,
               "critic_trace": [it.best_clipsim for it in res.trace.iterations]}
        if truths and img.name in truths:
            from .oracle import score_text

            for key, text in (("t1", p1.text()), ("final", res.sem.prompt.text())):
                o = score_text(truths[img.name], text)
                row[f"oracle_{key}"] = o.f1
                row[f"oracle_{key}_types"] = o.per_type
        for role, model in (("critic", critic), ("judge", judge)):
            ref = model.embed_images([img.image])[0]
            embs = model.embed_images(list(pics.values()))
            for key, v in zip(pics, model.clipsim(embs, ref)):
                row[f"{role}_{key}"] = float(v)
        rows.append(row)
    out: dict = {"budget": budget, "n": n, "m": m, "k": k, "prompt_codec": DEFAULT_PROMPT_CODEC,
                 "images": len(rows), "rows": rows}
    for role in ("judge", "critic"):
        out[role] = {key: _stats([r[f"{role}_{key}"] for r in rows]) for key in ("t1_seed0", "t1_bestK", "final")}
        out[role]["refinement_gain"] = _paired([r[f"{role}_t1_bestK"] for r in rows], [r[f"{role}_final"] for r in rows])
        out[role]["seed_choice_gain"] = _paired([r[f"{role}_t1_seed0"] for r in rows], [r[f"{role}_t1_bestK"] for r in rows])
        out[role]["total_gain"] = _paired([r[f"{role}_t1_seed0"] for r in rows], [r[f"{role}_final"] for r in rows])
    if rows and all("oracle_final" in r for r in rows):
        from .oracle import FACT_TYPES

        out["oracle"] = {key: _stats([r[f"oracle_{key}"] for r in rows]) for key in ("t1", "final")}
        for key in ("t1", "final"):
            out["oracle"][key]["per_type"] = {t: float(np.mean([r[f"oracle_{key}_types"][t] for r in rows]))
                                              for t in FACT_TYPES}
        out["oracle"]["refinement_gain"] = _paired([r["oracle_t1"] for r in rows], [r["oracle_final"] for r in rows])
    out["loop"] = dict(loop or {})
    out["describer"] = getattr(describer, "name", type(describer).__name__)
    out["critic_name"] = getattr(critic, "name", "?")
    out["judge_name"] = getattr(judge, "name", "?")
    out["mean_encode_s"] = float(np.mean([r["encode_s"] for r in rows]))
    out["mean_file_bytes"] = float(np.mean([r["file_bytes"] for r in rows]))
    return out


def render_md(study: dict, command: str) -> str:
    lines = [f"# Synthetic world: refinement and seed choice ({study['images']} held-out scenes)", "",
             f"Budget {study['budget']} bytes (mean file {study['mean_file_bytes']:.1f} B), N={study['n']} rounds, "
             f"M={study['m']} prompts, K={study['k']} seeds; prompt codec {study['prompt_codec']}; "
             f"describer {study.get('describer', '?')}, critic {study.get('critic_name', '?')}, decoder world-v1; "
             f"mean encode time {study['mean_encode_s']:.2f} s per image on this machine.", "",
             f"| CLIPSim (mean ± sd) | judge ({study.get('judge_name', '?')}, held out) | "
             f"critic ({study.get('critic_name', '?')}) |", "|---|---|---|"]
    names = {"t1_seed0": "iteration 1, 1 seed", "t1_bestK": f"iteration 1, best of K={study['k']}",
             "final": f"best after N={study['n']}"}
    for key, label in names.items():
        j, c = study["judge"][key], study["critic"][key]
        lines.append(f"| {label} | {j['mean']:.4f} ± {j['std']:.4f} | {c['mean']:.4f} ± {c['std']:.4f} |")
    lines += ["", "| paired gain (mean ± s.e.; images better / worse) | judge | critic |", "|---|---|---|"]
    for key, label in (("seed_choice_gain", "best of K vs 1 seed (iteration 1)"),
                       ("refinement_gain", f"best after N={study['n']} vs iteration 1"),
                       ("total_gain", f"best after N={study['n']} vs iteration 1, 1 seed")):
        j, c = study["judge"][key], study["critic"][key]
        lines.append(f"| {label} | {j['mean_gain']:+.4f} ± {j['se']:.4f} ({j['improved']}/{j['worse']}) "
                     f"| {c['mean_gain']:+.4f} ± {c['se']:.4f} ({c['improved']}/{c['worse']}) |")
    if "oracle" in study:
        from .oracle import FACT_TYPES

        o = study["oracle"]
        lines += ["", "Oracle (the coded prompt read back with the world grammar vs the true scene; "
                  "round 1 and best of K share one prompt, so one figure):", "",
                  "| oracle | F1 (mean ± sd) | " + " | ".join(FACT_TYPES) + " |", "|---|---|" + "---|" * len(FACT_TYPES)]
        for key, label in (("t1", "iteration 1 (1 seed and best of K)"), ("final", f"best after N={study['n']}")):
            lines.append(f"| {label} | {o[key]['mean']:.3f} ± {o[key]['std']:.3f} | "
                         + " | ".join(f"{o[key]['per_type'][t]:.3f}" for t in FACT_TYPES) + " |")
        g = o["refinement_gain"]
        lines += ["", f"Oracle refinement gain (final vs iteration 1): {g['mean_gain']:+.4f} ± {g['se']:.4f} "
                  f"(scenes better / worse {g['improved']}/{g['worse']})."]
    if study.get("loop"):
        lines += ["", "Loop: " + ", ".join(f"{k}={v}" for k, v in study["loop"].items()) + "."]
    lines += ["", f"Command: `{command}`", ""]
    return "\n".join(lines)




# ---------------------------------------------------------------------------
# Attribute binding: does the critic prefer the true text over a one-attribute change?
# ---------------------------------------------------------------------------

PERTURB_TYPES = ("scene", "lighting", "colour", "shape", "count", "size")


def _changed_type(true, other) -> str:
    if true.scene != other.scene:
        return "scene"
    if true.lighting != other.lighting:
        return "lighting"
    for a, b in zip(true.objects, other.objects):
        for f in ("colour", "shape", "count", "size"):
            if getattr(a, f) != getattr(b, f):
                return f
    raise ValueError("the perturbation changed nothing")


def binding_accuracy(critic, samples, *, seed: int = 0, per_scene: int = 4) -> dict:
    """Held-out attribute binding (chance 50%).

    For every sample (a :class:`semcodec.world.dataset.WorldSample`), its
    render faces its true text and ``per_scene`` texts with one attribute
    changed (:func:`semcodec.world.grammar.perturb`); a pair counts as bound
    when the true text scores strictly higher.  Returns the overall accuracy,
    its standard error, the pair count and the accuracy per changed type.
    """
    from .grammar import perturb
    from .render import render_scene

    rng = np.random.default_rng(seed)
    hits: dict[str, list[int]] = {t: [] for t in PERTURB_TYPES}
    images = [render_scene(s.scene, s.seed) for s in samples]
    embs = critic.embed_images(images)
    for s, emb in zip(samples, embs):
        negs = [perturb(s.scene, rng) for _ in range(per_scene)]
        texts = [s.scene.text()] + [n.text() for n in negs]
        scores = np.asarray(critic.score_texts(texts, emb))
        for n, sc in zip(negs, scores[1:]):
            hits[_changed_type(s.scene, n)].append(int(scores[0] > sc))
    allh = [h for v in hits.values() for h in v]
    acc = float(np.mean(allh))
    return {"accuracy": acc, "se": float(math.sqrt(acc * (1 - acc) / len(allh))), "pairs": len(allh),
            "scenes": len(samples), "per_type": {t: (float(np.mean(v)) if v else None) for t, v in hits.items()},
            "per_type_pairs": {t: len(v) for t, v in hits.items()}}


def render_overview(studies: list[dict], command: str) -> str:
    """One table over several studies (loop x budget): bytes, oracle, judge, critic, refinement gains."""
    from .oracle import FACT_TYPES

    s0 = studies[0]
    lines = [f"# Synthetic world: the seed's loop vs the new one ({s0['images']} held-out scenes, "
             f"scene seed {s0.get('scene_seed', '?')})", "",
             f"N={s0['n']}, M={s0['m']}, K={s0['k']}; decoder world-v1, judge {s0.get('judge_name', '?')} (held out), "
             f"prompt codec {s0['prompt_codec']}. Oracle: semcodec.world.oracle (F1 over scene-graph facts of the "
             "coded prompt vs the true scene). Critic: each setup's own critic. Gains: file vs iteration 1, "
             "mean ± s.e. (scenes better/worse).", "",
             "| setup | describer | critic | loop | budget | mean file B | oracle F1 | " + " / ".join(FACT_TYPES)
             + " | judge | critic | oracle gain | judge gain | critic gain |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]

    def g(x):
        return f"{x['mean_gain']:+.3f} ± {x['se']:.3f} ({x['improved']}/{x['worse']})"

    for st in studies:
        o = st["oracle"]
        loop = ", ".join(f"{k}={v}" for k, v in st.get("loop", {}).items()) or "default"
        lines.append(f"| {st.get('loop_name', '?')} | {st.get('describer', '?')} | {st.get('critic_name', '?')} | "
                     f"{loop} | {st['budget']} | {st['mean_file_bytes']:.1f} | "
                     f"{o['final']['mean']:.3f} | " + " / ".join(f"{o['final']['per_type'][t]:.2f}" for t in FACT_TYPES)
                     + f" | {st['judge']['final']['mean']:.4f} | {st['critic']['final']['mean']:.4f} | "
                     f"{g(o['refinement_gain'])} | {g(st['judge']['refinement_gain'])} | "
                     f"{g(st['critic']['refinement_gain'])} |")
    lines += ["", f"Command: `{command}`", ""]
    return "\n".join(lines)
