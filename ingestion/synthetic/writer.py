"""The safe events.csv writer behind `shopstream generate`.

``generate_events(n, seed)`` builds the table in memory; ``write_events_csv(path, n, seed)``
writes the exact events.csv format and a sidecar ``<name>.generated.json`` (seed, size, sha256,
summary) next to it. A file without a matching sidecar is treated as the user's real data and is
never overwritten.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ingestion.errors import GeneratorOutputError
from ingestion.synthetic.core import generate_events
from ingestion.synthetic.params import CSV_HEADER, DEFAULT_EVENTS, DEFAULT_SEED, GeneratorParams

logger = logging.getLogger(__name__)

GENERATOR_VERSION = 2
SIDECAR_SUFFIX = ".generated.json"


@dataclass(frozen=True)
class GenerateResult:
    path: str
    events: int
    visitors: int
    items: int
    views: int
    addtocarts: int
    transactions: int
    transaction_ids: int
    seconds: float
    seed: int
    sha256: str
    reused: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def summarize(table: pa.Table) -> dict[str, int]:
    """The published-figure counts of an events table."""
    counts = {
        str(row["values"]): int(row["counts"])
        for row in pc.value_counts(table.column("event")).to_pylist()
    }
    return {
        "events": table.num_rows,
        "visitors": int(pc.count_distinct(table.column("visitorid")).as_py()),
        "items": int(pc.count_distinct(table.column("itemid")).as_py()),
        "views": counts.get("view", 0),
        "addtocarts": counts.get("addtocart", 0),
        "transactions": counts.get("transaction", 0),
        "transaction_ids": int(pc.count_distinct(table.column("transactionid")).as_py()),
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def _read_sidecar(path: Path) -> dict[str, Any] | None:
    side = sidecar_path(path)
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _check_target(path: Path, n_events: int, seed: int, force: bool) -> GenerateResult | None:
    """Raise unless path may be (over)written; return the stored result when it is up to date."""
    if path.is_dir():
        msg = f"{path} is a folder; pass --out with a file path such as {path / 'events.csv'}."
        raise GeneratorOutputError(msg)
    if not path.exists():
        return None
    meta = _read_sidecar(path)
    if meta is None or meta.get("sha256") != _sha256(path):
        msg = (
            f"{path} already exists and was not written by `shopstream generate` (no matching "
            f"{sidecar_path(path).name}), so it may be real data and will not be overwritten. "
            "Move it away or pass --out with another path."
        )
        raise GeneratorOutputError(msg)
    same = (
        meta.get("events") == n_events
        and meta.get("seed") == seed
        and meta.get("generator_version") == GENERATOR_VERSION
    )
    if force:
        return None
    if same:
        fields = {k: meta[k] for k in GenerateResult.__dataclass_fields__ if k in meta}
        return GenerateResult(**{**fields, "path": str(path), "seconds": 0.0, "reused": True})
    version = meta.get("generator_version")
    older = f" by generator version {version} (now {GENERATOR_VERSION})" if (
        version != GENERATOR_VERSION
    ) else ""
    msg = (
        f"{path} was generated with --events {meta.get('events')} --seed {meta.get('seed')}"
        f"{older}; pass --force to replace it with --events {n_events} --seed {seed}."
    )
    raise GeneratorOutputError(msg)


def _write_csv(table: pa.Table, path: Path) -> None:
    """Write the exact events.csv format (unquoted header and values, empty null transactionid)."""
    options = pacsv.WriteOptions(include_header=False, quoting_style="none", batch_size=65_536)
    with path.open("wb") as fh:
        fh.write(CSV_HEADER.encode("ascii"))
        pacsv.write_csv(table, fh, write_options=options)


def write_events_csv(
    path: Path | str,
    n_events: int = DEFAULT_EVENTS,
    seed: int = DEFAULT_SEED,
    *,
    force: bool = False,
    params: GeneratorParams | None = None,
) -> GenerateResult:
    """Generate n_events events and write them to path as events.csv, plus the sidecar.

    Refuses (GeneratorOutputError) when path exists and is not an unchanged generator output;
    a generated file is replaced only with force, or reused as is when seed and size match.
    """
    target = Path(path)
    started = time.perf_counter()
    reused = _check_target(target, n_events, seed, force)
    if reused is not None:
        logger.info("%s already holds the generated events for seed %d; reused", target, seed)
        return reused
    target.parent.mkdir(parents=True, exist_ok=True)
    logger.info("generating %d events (seed %d)", n_events, seed)
    table = generate_events(n_events, seed, params)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        logger.info("writing %s", target)
        _write_csv(table, tmp)
        checksum = _sha256(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    counts = summarize(table)
    result = GenerateResult(
        path=str(target),
        events=counts["events"],
        visitors=counts["visitors"],
        items=counts["items"],
        views=counts["views"],
        addtocarts=counts["addtocarts"],
        transactions=counts["transactions"],
        transaction_ids=counts["transaction_ids"],
        seconds=round(time.perf_counter() - started, 2),
        seed=seed,
        sha256=checksum,
    )
    meta = {**result.to_json(), "generator_version": GENERATOR_VERSION}
    side = sidecar_path(target)
    side_tmp = side.with_name(f".{side.name}.tmp")
    side_tmp.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    os.replace(side_tmp, side)
    return result
