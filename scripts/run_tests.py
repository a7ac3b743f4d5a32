"""Run every check of the project (ruff, pytest, lit) and print one summary line.

The last line is `N passed, N failed`, counting pytest and lit tests together (a ruff failure
counts as one failed test), so CI can read it; the exit code is non-zero if anything failed.
"""

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RESULTS = ROOT / "test-results"


def junit_counts(path: Path) -> tuple[int, int]:
    """(passed, failed) from a JUnit XML report; skipped tests count as neither."""
    if not path.exists():
        return 0, 1
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    passed = failed = 0
    for suite in suites:
        for case in suite.iter("testcase"):
            tags = {child.tag for child in case}
            if tags & {"failure", "error"}:
                failed += 1
            elif "skipped" not in tags:
                passed += 1
    return passed, failed


def run(command: list[str]) -> int:
    print("+", " ".join(command), flush=True)
    return subprocess.call(command, cwd=ROOT)


def main() -> int:
    RESULTS.mkdir(exist_ok=True)
    passed = failed = 0

    ruff_ok = run([str(BIN / "ruff"), "check", "."]) == 0
    ruff_ok &= run([str(BIN / "ruff"), "format", "--check", "."]) == 0
    passed, failed = (1, 0) if ruff_ok else (0, 1)

    workers = os.environ.get("NNTC_TEST_WORKERS", "auto")
    pytest_xml = RESULTS / "pytest.xml"
    run([str(BIN / "pytest"), "-n", workers, f"--junitxml={pytest_xml}", "tests"])
    p, f = junit_counts(pytest_xml)
    passed, failed = passed + p, failed + f

    lit_xml = RESULTS / "lit.xml"
    run([str(BIN / "lit"), "-sv", f"--xunit-xml-output={lit_xml}", "lit"])
    p, f = junit_counts(lit_xml)
    passed, failed = passed + p, failed + f

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
