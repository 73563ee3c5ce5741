package main

import (
	"fmt"
	"io"
)

// outWriter is stdout as the commands see it: it keeps the first write
// error, so that a command that prints its report with fmt.Fprintf (and
// does not look at the error) still fails with exit status 4 when its
// output is lost (a full disk, a closed pipe), instead of exiting 0.
// After an error every write fails at once with it.
type outWriter struct {
	w   io.Writer
	err error
}

// Write implements io.Writer.
func (o *outWriter) Write(p []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	n, err := o.w.Write(p)
	if err != nil {
		o.err = err
	}
	return n, err
}

// failure is the error to report when the command itself succeeded: the
// first write error on stdout, if any, as an I/O error.
func (o *outWriter) failure() error {
	if o.err == nil {
		return nil
	}
	return &statusError{code: ExitIO, err: fmt.Errorf("write to standard output: %w", o.err)}
}
