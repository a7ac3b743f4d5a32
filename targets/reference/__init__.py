"""The reference interpreter's numerics: vectorised numpy kernels with ONNX semantics.

`nntc.targets.reference.kernels` is the entry point: one function per ONNX op, and the table
`KERNELS` from ONNX op type to kernel that the `top` interpreter dispatches through.
"""
