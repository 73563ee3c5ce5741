package main

import (
	"os"
	"testing"
)

// TestMain lets the test binary serve as the crash child of the kill -9
// row, as the bench binary does.
func TestMain(m *testing.M) {
	if crashChildRequested() {
		os.Exit(crashChild())
	}
	os.Exit(m.Run())
}
