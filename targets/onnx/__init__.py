"""ONNX front end: `import_onnx` turns an ONNX model into a `top` module and its weight store."""

from nntc.targets.onnx.importer import (
    ONNX_NAME_ATTR,
    OnnxImportError,
    Problem,
    UnsupportedModelError,
    import_onnx,
    parse_shapes,
)

__all__ = [
    "ONNX_NAME_ATTR",
    "OnnxImportError",
    "Problem",
    "UnsupportedModelError",
    "import_onnx",
    "parse_shapes",
]
