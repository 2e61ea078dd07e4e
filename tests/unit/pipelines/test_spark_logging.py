"""The Spark driver gets the project's log4j2 configuration: warnings and errors on stderr."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from pipelines.data.spark import LOG4J2_CONFIG, driver_java_options


def _properties(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines()
             if "=" in line and not line.lstrip().startswith("#"))
    return {k.strip(): v.strip() for k, v in pairs}


def test_driver_options_name_the_shipped_log4j2_file() -> None:
    options = driver_java_options().split()
    given = [o.partition("=")[2] for o in options if o.startswith("-Dlog4j2.configurationFile=")]
    assert len(given) == 1
    path = Path(unquote(urlparse(given[0]).path))
    assert path == LOG4J2_CONFIG and path.is_file()
    assert not [o for o in options if "checksum" in o.lower()]  # default clients, no workaround


def test_log4j2_file_keeps_warnings_on_stderr_and_quiets_known_noise() -> None:
    props = _properties(LOG4J2_CONFIG)
    assert props["rootLogger.level"] == "warn"
    assert props["appender.console.target"] == "SYSTEM_ERR"
    quiet = {props[k]: props[k.replace(".name", ".level")] for k in props
             if k.startswith("logger.") and k.endswith(".name")}
    assert quiet["org.apache.hadoop.util.NativeCodeLoader"] == "error"
    assert quiet["dev.ludovic.netlib"] == "error"
