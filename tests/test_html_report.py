"""The HTML report (semcodec/bench/html_report.py): the pure builder on tiny inputs, and the
world pipeline's ``sembench rd --html`` page loaded in headless Chromium (skipped without one)."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from semcodec.bench import html_report as H

HOSTILE = '<script>alert("x")</script> & "quotes" <img src=x onerror=alert(1)>'


def _img(color) -> Image.Image:
    return Image.new("RGB", (8, 8), color)


def _gallery() -> dict:
    return {
        "deterministic": True, "decoder": "world-v1", "file_bytes": 30, "final_text": HOSTILE,
        "best_t": 1, "best_seed": 1, "clipsim": 0.9,
        "rounds": [
            {"t": 1, "mode": "describe", "chosen": 0, "winner": 1, "improved": True, "best_clipsim": 0.9,
             "candidates": [{"text": HOSTILE, "clip_text": 0.7, "file_bytes": 30, "shortened": None},
                            {"text": "a plain text", "clip_text": 0.6, "file_bytes": 25, "shortened": "cut"}],
             "renders": [{"seed": 0, "clipsim": 0.8}, {"seed": 1, "clipsim": 0.9}]},
            {"t": 2, "mode": "refine", "chosen": 1, "winner": 0, "improved": False, "best_clipsim": 0.9,
             "candidates": [{"text": "x", "clip_text": 0.5, "file_bytes": 20, "shortened": None},
                            {"text": "y", "clip_text": 0.55, "file_bytes": 21, "shortened": None}],
             "renders": [{"seed": 2, "clipsim": 0.85}, {"seed": 3, "clipsim": 0.7}]},
        ],
    }


def _renders():
    return [[_img("red"), _img("green")], [_img("blue"), _img("white")]]


def _page() -> str:
    table = [{"codec": "sem", "param": 32, "bpp": 0.01, "mean_bytes": 30.0, "clipsim": 0.9,
              "clipsim_judge": 0.8, "oracle_f1": 0.5},
             {"codec": "jpeg", "param": 10, "bpp": 0.6, "mean_bytes": 1300.0, "clipsim": 0.99,
              "clipsim_judge": None, "oracle_f1": None}]
    buf = io.BytesIO()
    _img("gray").save(buf, format="PNG")
    images = [{"name": "a<b>.png", "original": _img("black"),
               "recons": [{"codec": "jpeg", "param": 10, "bytes": 1300, "clipsim": 0.99, "image": _img("yellow")},
                          {"codec": "sem", "param": 32, "bytes": 30, "clipsim": 0.9, "image": _img("red")}],
               "gallery": _gallery(), "gallery_param": 32, "renders": _renders()}]
    return H.build_rd_report(title="t <x>", rd_png=buf.getvalue(), table=table, images=images, command="sembench rd <d>")


def test_hostile_prompt_text_is_escaped():
    page = _page()
    assert "<script" not in page.lower()
    assert "onerror=alert" not in page.replace("&lt;img src=x onerror=alert(1)&gt;", "")
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quotes&quot;" in page
    assert "a&lt;b&gt;.png" in page and "<title>t &lt;x&gt;</title>" in page


def test_every_image_is_embedded_and_nothing_is_fetched():
    page = _page()
    srcs = re.findall(r'<img [^>]*src="([^"]*)"', page)
    # plot + original + 2 reconstructions + 4 gallery renders
    assert len(srcs) == 8
    for s in srcs:
        m = re.fullmatch(r"data:image/(png|webp);base64,([A-Za-z0-9+/=]+)", s)
        assert m, s[:40]
        Image.open(io.BytesIO(base64.b64decode(m.group(2)))).load()
    assert not re.search(r"(src|href)=\"(https?:|//|file:)", page)
    assert "<link" not in page and "@import" not in page and "url(" not in page


def test_winner_chosen_and_file_marked():
    body = H.gallery_html(_gallery(), _renders())
    rounds = body.split('<div class="round">')[1:]
    assert len(rounds) == 2
    # round 1: the winner is seed 1, and it is the render in the file
    figs = rounds[0].split("<figure")[1:]
    assert 'class="winner final"' in figs[1] and "★ winner" in figs[1] and "in the file" in figs[1]
    assert "winner" not in figs[0]
    assert rounds[0].count("◀ chosen") == 1 and "<tr class=chosen><td>0</td>" in rounds[0]
    # round 2: winner seed 2 (index 0), not in the file; candidate 1 chosen
    figs = rounds[1].split("<figure")[1:]
    assert "★ winner" in figs[0] and "in the file" not in rounds[1]
    assert "<tr class=chosen><td>1</td>" in rounds[1]
    assert "<b>30 bytes</b>" in body


def test_missing_renders_say_so():
    g = dict(_gallery(), deterministic=False)
    body = H.gallery_html(g, None)
    assert "<img" not in body and "render not kept" in body and "not deterministic" in body


def test_encode_report_is_a_whole_page():
    page = H.build_encode_report(name="<x>.png", original=_img("black"), gallery=_gallery(), renders=_renders(),
                                 output="o.sem")
    assert page.startswith("<!DOCTYPE html>") and page.count("<img ") == 5 and "<script" not in page.lower()


# ---------------------------------------------------------------------------
# The browser test
# ---------------------------------------------------------------------------

CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"), shutil.which("google-chrome"))
                 if p), None)

PROBE = """<script>
window.__errs = [];
window.addEventListener('error', function (e) { window.__errs.push('error: ' + (e.message || (e.target && e.target.src || '?').slice(0, 60))); }, true);
(function () { var ce = console.error; console.error = function () {
  window.__errs.push('console.error: ' + Array.prototype.join.call(arguments, ' ')); ce.apply(console, arguments); }; })();
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var broken = imgs.filter(function (i) { return !i.complete || i.naturalWidth === 0; }).length;
  var pre = document.createElement('pre'); pre.id = 'result';
  pre.textContent = JSON.stringify({images: imgs.length, broken: broken, errors: window.__errs});
  document.body.appendChild(pre);
});
</script>"""


def _chromium(args: list[str], tmp: Path) -> subprocess.CompletedProcess:
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-extensions", "--no-first-run", "--disable-dev-shm-usage", f"--user-data-dir={tmp / 'profile'}",
           "--virtual-time-budget=5000", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary on PATH (Debian: apt-get install chromium)")
def test_world_report_loads_in_headless_chromium(tmp_path):
    pytest.importorskip("open_clip", reason="the world CLIPs need the 'local' extra")
    from semcodec.cli import bench_rd
    from semcodec.world.dataset import main as make_dataset

    ds, out = tmp_path / "scenes", tmp_path / "out"
    assert make_dataset([str(ds), "--n", "2"]) == 0
    args = [str(ds), "--codecs", "jpeg,sem", "--decoder", "world-v1", "--critic", "world-clip", "--judge",
            "world-judge", "--describer", "interrogator", "--describer-model", "world-clip", "--budgets", "32",
            "-n", "2", "-m", "2", "-k", "2", "--device", "cpu", "--html", "--out", str(out), "-q"]
    assert bench_rd.main(args) == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<script" not in page.lower()
    # 1 plot, per image: original + jpeg + sem + 2 rounds x 2 renders
    assert page.count("<img ") == 1 + 2 * (3 + 4)

    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
    res = _chromium(["--dump-dom", probe.as_uri()], tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    m = re.search(r'<pre id="result">(.*?)</pre>', res.stdout, re.S)
    assert m, f"the probe did not run; stdout tail: {res.stdout[-500:]!r}"
    result = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))
    assert result == {"images": 15, "broken": 0, "errors": []}

    shot = tmp_path / "shot.png"
    res = _chromium([f"--screenshot={shot}", "--window-size=1200,2000", (out / "report.html").as_uri()], tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    with Image.open(shot) as im:
        assert im.size == (1200, 2000)
