"""lit configuration for nntc's FileCheck tests (run: `lit lit/`)."""

import os
import sys

import lit.formats

config.name = "nntc"  # noqa: F821
config.test_format = lit.formats.ShTest(execute_external=False)  # noqa: F821
config.suffixes = [".mlir", ".test"]  # noqa: F821
config.excludes = ["Inputs", "lit.cfg.py"]  # noqa: F821
config.test_source_root = os.path.dirname(__file__)  # noqa: F821
config.test_exec_root = os.path.join(os.path.dirname(__file__), "Output")  # noqa: F821

repo_root = os.path.dirname(config.test_source_root)  # noqa: F821
venv_bin = os.path.dirname(sys.executable)
config.environment["PATH"] = os.pathsep.join(  # noqa: F821
    [venv_bin, config.environment.get("PATH", os.environ.get("PATH", ""))]  # noqa: F821
)
config.environment["PYTHONDONTWRITEBYTECODE"] = "1"  # noqa: F821

subs = config.substitutions  # noqa: F821
# Custom syntax -> generic -> custom must give what the CHECK lines expect.
subs.append(
    (
        "NNTC_ROUNDTRIP",
        "nntc-opt %s --print-op-generic --split-input-file | "
        "nntc-opt --split-input-file | filecheck %s",
    )
)
# The generic form itself, checked with the CHECK-GENERIC prefix.
subs.append(
    (
        "NNTC_GENERIC_ROUNDTRIP",
        "nntc-opt %s --print-op-generic --split-input-file | filecheck %s --check-prefix=CHECK-GENERIC",
    )
)
# MLIR-style `// expected-error @+1 {{...}}` annotations, checked by nntc-opt itself.
subs.append(("NNTC_VERIFY_DIAGNOSTICS", "nntc-opt %s --split-input-file --verify-diagnostics"))
