package main

import (
	"bytes"
	"errors"
	"io"
	"os/exec"
	"testing"
)

// runBinOut runs the built command with stdout going to out and returns
// its stderr and exit status.
func runBinOut(t *testing.T, out io.Writer, args ...string) result {
	t.Helper()
	cmd := exec.Command(batpakBin(t), args...)
	var errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{stderr: errb.String(), code: code}
}
