from semcodec.cli import bench_rd, bench_speed
from semcodec.cli import semenc
from semcodec.cli.loop_options import LOOP_SIZE_OPTIONS
from semcodec.encoder import EncoderConfig


def _params(command):
    return {p.name: p for p in command.params if p.name in ("n", "m", "k")}


def test_n_m_k_are_one_declaration_in_every_command():
    want = {name: [short, long, alias] for short, long, alias, name, _ in LOOP_SIZE_OPTIONS}
    for command in (semenc.semenc, bench_rd.rd, bench_speed.speed):
        got = _params(command)
        assert {name: p.opts for name, p in got.items()} == want, command.name
    cfg = EncoderConfig()
    assert {n: p.default for n, p in _params(bench_rd.rd).items()} == {"n": cfg.n, "m": cfg.m, "k": cfg.k}
    assert {n: p.default for n, p in _params(semenc.semenc).items()} == {"n": None, "m": None, "k": None}


def test_speed_refuses_bad_loop_sizes_in_one_line_before_any_model(capsys):
    assert bench_speed.main(["-m", "40", "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert err == "sembench speed: error: m must be an integer in 1..32\n"
