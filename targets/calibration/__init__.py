"""Calibration for INT8: data, statistics, thresholds and the calibration table.

The pieces, in the order `nntc-cali` uses them:
- `preprocess`: the `--cali_image_preprocess` string (`Preprocess`), image -> net input tensor;
- `dataset`: `--cali_image_path` converted once into an LMDB dataset, `--cali_lmdb` reused,
  `--cali_npz` ready tensors; every dataset iterates samples as `{input name: array}`;
- `statistics`: one pass of the FP32 reference interpreter collecting per-tensor min, max,
  abs-max and a histogram of |x| (`collect_statistics`);
- `thresholds`: max, percentile, KL divergence and MSE thresholds from those histograms;
- `table`: the TPU-MLIR-compatible calibration table (`name threshold min max`), written and read;
- `search`: `nntc-cali`'s strategy search (candidates scored against FP32 on held-out inputs,
  per-layer report, layers moved to F16 until the expected cosine is met).
"""

from nntc.targets.calibration.dataset import (
    DatasetError,
    InputSpec,
    LmdbDataset,
    NpzDataset,
    Sample,
    build_image_lmdb,
    calibration_dataset,
    image_files,
    model_inputs,
    write_lmdb,
)
from nntc.targets.calibration.preprocess import Preprocess, PreprocessError, parse_preprocess
from nntc.targets.calibration.statistics import (
    StatisticsCollector,
    TensorStatistics,
    collect_statistics,
)
from nntc.targets.calibration.table import (
    CalibrationTable,
    CalibrationTableError,
    TableEntry,
    read_calibration_table,
    table_from_statistics,
    write_calibration_table,
)
from nntc.targets.calibration.thresholds import (
    THRESHOLD_METHODS,
    compute_thresholds,
    threshold_kl,
    threshold_max,
    threshold_mse,
    threshold_percentile,
)

__all__ = [
    "THRESHOLD_METHODS",
    "CalibrationTable",
    "CalibrationTableError",
    "DatasetError",
    "InputSpec",
    "LmdbDataset",
    "NpzDataset",
    "Preprocess",
    "PreprocessError",
    "Sample",
    "StatisticsCollector",
    "TableEntry",
    "TensorStatistics",
    "build_image_lmdb",
    "calibration_dataset",
    "collect_statistics",
    "compute_thresholds",
    "image_files",
    "model_inputs",
    "parse_preprocess",
    "read_calibration_table",
    "table_from_statistics",
    "threshold_kl",
    "threshold_max",
    "threshold_mse",
    "threshold_percentile",
    "write_calibration_table",
    "write_lmdb",
]
