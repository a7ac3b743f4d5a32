"""Helpers of `lower-to-bm1684x`: the command program with its sync ids (`program`), local
memory planning (`lmem`) and the per-layer command generators (`layers`)."""
