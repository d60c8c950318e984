"""semmodels: list the models semcodec knows and download local weights."""

from __future__ import annotations

import json

import click

from .. import models
from .common import model_dir_option, run_main, sem_errors, version_option


def _weights_cell(row: dict) -> str:
    if row["weights"] == "api":
        return "api (key set)" if row.get("api_key_set") else "api (OPENAI_API_KEY not set)"
    return row["weights"]


def _table(rows: list[dict]) -> str:
    head = ("NAME", "ID", "KIND", "DET", "WEIGHTS", "SOURCE@REVISION")
    lines = []
    for r in rows:
        src = r["source"] or (f"model {r['model']}" if r.get("model") else "")
        if r["revision"]:
            src += "@" + r["revision"][:12]
        if r.get("retired"):
            src += f" (retired {r['retired']})"
        ident = "" if r["id"] is None else str(r["id"])
        det = {True: "yes", False: "no"}.get(r["deterministic"], "-")
        lines.append((r["name"], ident, r["kind"], det, _weights_cell(r), src))
    widths = [max(len(str(x[i])) for x in [head, *lines]) for i in range(len(head) - 1)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths) + "  {}"
    return "\n".join(fmt.format(*row).rstrip() for row in [head, *lines])


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@version_option("semmodels")
def semmodels() -> None:
    """List semcodec's decoders and critics, and download local model weights.

    Local weights live in DIR/<name>/ (--model-dir or SEMCODEC_MODEL_DIR), else
    in the Hugging Face cache at the pinned revision.

    Exit codes: 0 ok, 2 usage, 4 missing (weights, network, extra), 1 other.
    """


@semmodels.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of objects instead of a table.")
@model_dir_option
@sem_errors
def list_cmd(as_json: bool, model_dir: str | None) -> None:
    """Every decoder and critic with its pinned source and whether its weights are here."""
    rows = models.list_models(model_dir)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    else:
        click.echo(_table(rows))


@semmodels.command("download")
@click.argument("name")
@model_dir_option
@sem_errors
def download_cmd(name: str, model_dir: str | None) -> None:
    """Fetch NAME's weights at the pinned revision into DIR/NAME/ (or the HF cache)."""
    path = models.download(name, model_dir)
    click.echo(str(path))


def main(argv: list[str] | None = None) -> int:
    return run_main(semmodels, argv, "semmodels")


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
