"""nntc: a neural-network compiler on xDSL for the SOPHGO BM1684X TPU.

This package is the public face of nntc: each command-line tool is a module `nntc.<tool>` with a
`main()`, and the internals live in `nntc.dialects`, `nntc.passes` and `nntc.targets`.
"""

__version__ = "0.1.0"
