"""The router's own process image: `shopstream serve` execs into `python -m serving.main`.

The shopstream CLI registers every stage, and importing it loads ingestion, pyarrow and numpy
(~75 MB resident) that a router never uses. Once the flags are parsed, `shopstream serve`
replaces itself (same pid, so pid files, signals and the tests' process handles still hold)
with this lean entry point, which imports only the router: FastAPI, uvicorn, aiohttp.

The resolved options travel in one environment variable; the command line keeps the original
`shopstream serve …` words, so `ps` and the pid-file checks still recognise the process.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import asdict, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from serving.config import ROLES, ServingConfig

if TYPE_CHECKING:
    from serving.hosts import HostProcess
    from shopstream.settings import Settings

SPEC_ENV = "SHOPSTREAM_SERVE_SPEC"


def config_to_json(config: ServingConfig) -> dict[str, Any]:
    out = asdict(config)
    out["log_dir"] = str(config.log_dir) if config.log_dir else None
    return out


def config_from_json(raw: dict[str, Any]) -> ServingConfig:
    known = {f.name for f in fields(ServingConfig)}
    values = {k: v for k, v in raw.items() if k in known}
    if values.get("log_dir"):
        values["log_dir"] = Path(values["log_dir"])
    return ServingConfig(**values)


def exec_router(settings: Settings, overrides: dict[str, Any], config: ServingConfig,
                host: str, port: int, json_summary: bool) -> None:
    """Start the scoring host(s), then replace this process with the lean router process,
    which adopts them (does not return)."""
    from serving.hosts import host_spec

    hosts = start_hosts(settings, config)  # importing mlflow takes them seconds: start now
    spec = {"overrides": {k: (str(v) if isinstance(v, Path) else v)
                          for k, v in overrides.items() if v is not None},
            "config": config_to_json(config), "host": host, "port": port,
            "json_summary": json_summary,
            "log_level": logging.getLogger().getEffectiveLevel(),
            "hosts": {key: host_spec(h) for key, h in hosts.items()}}
    env = {**os.environ, SPEC_ENV: json.dumps(spec)}
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-m", "serving.main", *sys.argv], env)


def start_hosts(settings: Settings, config: ServingConfig) -> dict[str, HostProcess]:
    """The layout's scoring hosts, started now: importing mlflow takes them seconds."""
    from serving.hosts import MLFLOW_SERVE, host_keys, spawn_host
    from serving.scoring import scoring_env

    if config.scoring_layout == MLFLOW_SERVE:
        return {}
    env = scoring_env(settings, config.scoring_workers)
    return {key: spawn_host(key, env, config.logs(settings), config.scoring_host)
            for key in host_keys(config.scoring_layout, ROLES)}


def _printer(json_summary: bool) -> Any:
    def on_ready(payload: dict[str, Any]) -> None:
        if json_summary:
            sys.stdout.write(json.dumps(payload, default=str) + "\n")
            sys.stdout.flush()
            return
        lines = [f"router {payload['router']} — {payload['status']}"]
        models = payload.get("models")
        if isinstance(models, dict):
            lines += [f"  {role:22} v{info.get('version')} :{info.get('port')} "
                      f"{info.get('state')}" for role, info in models.items()]
        sys.stderr.write("\n".join(lines) + "\n")

    return on_ready


def main() -> None:
    raw = os.environ.pop(SPEC_ENV, None)
    if raw is None:
        sys.stderr.write("serving.main is started by `shopstream serve`; run that instead.\n")
        sys.exit(2)
    spec = json.loads(raw)
    logging.basicConfig(level=int(spec.get("log_level", logging.INFO)), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("urllib3", "mlflow", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from shopstream.errors import ShopstreamError
    from shopstream.settings import load_settings

    try:
        settings = load_settings(spec["overrides"])
        config = config_from_json(spec["config"])
        from serving.hosts import adopt_host
        from serving.runner import serve  # FastAPI, uvicorn, aiohttp: while the hosts start

        hosts = {key: adopt_host(h) for key, h in spec.get("hosts", {}).items()}
        serve(settings, config, spec["host"], int(spec["port"]), _printer(spec["json_summary"]),
              hosts)
    except ShopstreamError as e:
        sys.stderr.write(f"error: {e}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
