"""Canonicalization patterns of the nntc dialects, one module per dialect.

The ops name their patterns through a `HasCanonicalizationPatternsTrait` that imports the module
here on first use, as xDSL does with `xdsl.transforms.canonicalization_patterns`; the upstream
`canonicalize` pass (`nntc-opt -p canonicalize`) then applies them with folding and dead-code
elimination.
"""
