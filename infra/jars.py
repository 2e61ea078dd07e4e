"""Runtime jars fetched by Maven from the project's own poms (never Ivy at run time)."""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

from infra.errors import StackError, ToolMissingError

logger = logging.getLogger(__name__)

POM_DIR = Path(__file__).resolve().parent / "maven"
JAR_SETS = ("kafka", "s3proxy", "spark")


def require_tool(name: str, install_hint: str) -> str:
    path = shutil.which(name)
    if path is None:
        msg = f"`{name}` is not on PATH. {install_hint}"
        raise ToolMissingError(msg)
    return path


def _stamp(jars_dir: Path, name: str) -> Path:
    return jars_dir / f".{name}.stamp"


def jars_current(jars_dir: Path, name: str) -> bool:
    """True when the jar set was fetched from the current pom."""
    stamp = _stamp(jars_dir, name)
    pom = POM_DIR / name / "pom.xml"
    return stamp.exists() and stamp.read_text() == pom.read_text()


def fetch_jars(jars_dir: Path, name: str) -> Path:
    """Copy the runtime dependencies of infra/maven/<name>/pom.xml into jars_dir/<name>."""
    target = jars_dir / name
    if jars_current(jars_dir, name):
        return target
    mvn = require_tool("mvn", "Install Apache Maven 3.8+ (e.g. `apt-get install maven`).")
    pom = POM_DIR / name / "pom.xml"
    if target.exists():
        shutil.rmtree(target)
    logger.info("fetching %s jars with Maven into %s", name, target)
    argv = [
        mvn, "-q", "-B", "-f", str(pom), "dependency:copy-dependencies",
        f"-DoutputDirectory={target}", "-DincludeScope=runtime",
    ]
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        msg = (
            f"Maven could not fetch the {name} jars (exit {result.returncode}). "
            f"Check that Maven Central is reachable. Output:\n{result.stdout[-2000:]}"
        )
        raise StackError(msg)
    jars_dir.mkdir(parents=True, exist_ok=True)
    _stamp(jars_dir, name).write_text(pom.read_text())
    return target


def classpath(jars_dir: Path, name: str) -> str:
    folder = fetch_jars(jars_dir, name)
    return f"{folder}/*"


def jar_files(jars_dir: Path, name: str) -> list[Path]:
    return sorted(fetch_jars(jars_dir, name).glob("*.jar"))


def main() -> None:
    """`python -m infra.jars`: fetch every jar set (used by the Makefile)."""
    import sys

    from shopstream.settings import Settings

    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    settings = Settings()
    for name in JAR_SETS:
        folder = fetch_jars(settings.jars_dir, name)
        logger.info("%s jars: %d in %s", name, len(list(folder.glob("*.jar"))), folder)


if __name__ == "__main__":
    main()
