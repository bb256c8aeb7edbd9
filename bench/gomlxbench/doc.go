// Package gomlxbench holds the GoMLX side of mrgkit's CPU benchmarks: a tiny
// 2-layer transformer train step (the same model as bench/torch_tiny.py),
// building blocks (downsampling formulations, attention) and a timing helper.
// Run the testing.B benchmarks with
//
//	go test -run '^$' -bench . -benchtime 5x ./bench/gomlxbench/
//
// with GOMLX_BACKEND=go or onnx:cpu (or the Backends sub-benchmarks, which
// run both), and the side-by-side comparison with PyTorch with bench/compare.
package gomlxbench
