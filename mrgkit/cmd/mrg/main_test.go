package main

import "bytes"

// runMain runs mrg in-process and returns its exit code, stdout and stderr.
func runMain(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = Main(args, &o, &e)
	return code, o.String(), e.String()
}
