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


def refinement_study(images, *, budget: int, n: int, m: int, k: int, critic, judge, generator, describer) -> dict:
    from semcodec.encoder import EncoderConfig, encode_image
    from semcodec.registry import DEFAULT_PROMPT_CODEC
    from semcodec.prompt import Prompt

    rows = []
    for img in images:
        cfg = EncoderConfig(n=n, m=m, k=k, budget_bytes=budget, decoder=generator.spec.name,
                            prompt_codec=DEFAULT_PROMPT_CODEC)
        t0 = time.perf_counter()
        res = encode_image(img.image, config=cfg, critic=critic, generator=generator, describer=describer)
        secs = time.perf_counter() - t0
        it1 = res.trace["iterations"][0]
        p1 = Prompt.from_dict(it1["prompts"][it1["chosen"]]["prompt"])
        seed0 = it1["renders"][0]["seed"]
        seed_best = it1["best_seed"]
        pics = {
            "t1_seed0": generator.render(p1.text(), [seed0])[0].image,
            "t1_bestK": generator.render(p1.text(), [seed_best])[0].image,
            "final": generator.render(res.sem.prompt.text(), [res.sem.seed])[0].image,
        }
        row = {"image": img.name, "file_bytes": res.file_bytes, "t1_text": p1.text(), "final_text": res.sem.prompt.text(),
               "final_t": res.trace["result"]["best_t"], "encode_s": secs,
               "critic_trace": [it["best_clipsim"] for it in res.trace["iterations"]]}
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
    out["mean_encode_s"] = float(np.mean([r["encode_s"] for r in rows]))
    out["mean_file_bytes"] = float(np.mean([r["file_bytes"] for r in rows]))
    return out


def render_md(study: dict, command: str) -> str:
    lines = [f"# Synthetic world: refinement and seed choice ({study['images']} held-out scenes)", "",
             f"Budget {study['budget']} bytes (mean file {study['mean_file_bytes']:.1f} B), N={study['n']} rounds, "
             f"M={study['m']} prompts, K={study['k']} seeds; prompt codec {study['prompt_codec']}; "
             "describer interrogator, critic world-clip, decoder world-v1; "
             f"mean encode time {study['mean_encode_s']:.2f} s per image on this machine.", "",
             "| CLIPSim (mean ± sd) | judge (world-judge, held out) | critic (world-clip) |", "|---|---|---|"]
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
    lines += ["", f"Command: `{command}`", ""]
    return "\n".join(lines)


