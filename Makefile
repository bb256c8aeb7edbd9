# mrgkit — every target pins the Go toolchain and forbids run-time downloads.
export GOTOOLCHAIN := go1.27.3
export GOMLX_NO_AUTO_INSTALL := 1
export GOFLAGS := -buildvcs=false
# Go's SIMD experiment turns on the pure-Go backend's AVX2/AVX-512 matmul
# kernels (GoMLX compute: `amd64 && goexperiment.simd`; CPU features are
# checked at run time). With im2col convolutions it makes the pure-Go train
# step ~5x cheaper (bench/FINDINGS.md). The SIMD kernels are amd64-only.
export GOEXPERIMENT := simd

GO ?= go
BIN := bin/mrg
TEST_TIMEOUT ?= 45m

.PHONY: demo test build onnxruntime wordnet vet fmt bench clean-data notebook notebooks notebooks-setup notebooks-outputs

## demo: the main job — synthetic data, teacher, distilled student, figures.
demo: onnxruntime build
	./$(BIN) demo

## test: the whole suite (the command CI runs).
test: onnxruntime wordnet
	$(GO) vet ./...
	@test -z "$$(gofmt -l mrgkit bench notebooks 2>/dev/null)" || (echo "gofmt needed on:"; gofmt -l mrgkit bench notebooks; exit 1)
	$(GO) test -timeout $(TEST_TIMEOUT) -count=1 ./...

build:
	$(GO) build -o $(BIN) ./mrgkit/cmd/mrg

## onnxruntime: install ONNX Runtime's CPU library (idempotent; pure-Go fallback without npm).
onnxruntime:
	@bash scripts/install-onnxruntime.sh

## wordnet: install WordNet 3.0 (Debian wordnet-base) for METEOR's synonym module (idempotent; without root it only says how).
wordnet:
	@test -f /usr/share/wordnet/index.noun || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wordnet-base) || \
	  echo "note: WordNet not installed (apt-get install wordnet-base); METEOR runs without its synonym module"

bench:
	$(GO) test -run '^$$' -bench . -benchtime 3x ./mrgkit/...
	$(GO) test -run '^$$' -bench TrainStep -benchtime 3x ./bench/gomlxbench/

vet:
	$(GO) vet ./...

fmt:
	gofmt -w mrgkit bench notebooks

## notebook: install what is missing (Debian jupyter-notebook, GoNB kernel) and start Jupyter on notebooks/; prints the URL (PORT=8888, IP=127.0.0.1, SMOKE=1).
notebook:
	@bash scripts/notebook.sh

## notebooks-setup: install Jupyter, Chromium + chromedriver, GoNB v0.11.5, goimports and the GoNB kernel (idempotent).
notebooks-setup:
	bash .ci/setup

## notebooks: execute every notebook in headless Chromium in smoke mode (MRGKIT_SMOKE=1); figures checked.
notebooks:
	$(GO) test -count=1 -v -run TestNotebooksExecute -timeout 60m ./notebooks

## notebooks-outputs: rerun the notebooks in the browser on the full settings against `make demo`'s runs (RUNS=runs/demo, DATA=data) and commit-ready outputs into notebooks/*.ipynb + docs/notebook02.png.
notebooks-outputs:
	bash scripts/notebooks-outputs.sh
