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

# The best end-to-end job that exists today: a canonicalization pipeline on a hand-written
# ResNet-18 stem block, with the pass timing table.
run: $(STAMP)
	mkdir -p build
	$(BIN)/nntc-opt examples/resnet_block.mlir -p canonicalize --mlir-timing -o build/resnet_block.canonical.mlir
	@echo "wrote build/resnet_block.canonical.mlir"

# ruff, pytest and lit; ends with one line "N passed, N failed".
test: $(STAMP)
	$(BIN)/python scripts/run_tests.py

bench: $(STAMP)
	$(BIN)/pytest tests/bench --benchmark-enable --benchmark-only -p no:xdist

clean:
	rm -rf build lit/Output test-results
