// Command batpak is the operator's tool for a batpak-go store directory:
// it verifies, inspects, follows, draws, backs up, exports, imports and
// repairs a store without writing code. Every command works on a directory
// a running store holds (read-only, taking no lock that would stop the
// writer) and on a closed one; only repair and import ever change a store.
//
//	go install ./cmd/batpak
//	batpak --help
//	batpak verify ./data
//
// Exit status: 0 success (verify: the store is clean), 1 bad input or
// another error (not a store, a missing or unreadable directory, a file
// given for a directory, a bad flag value), 2 a usage error (an unknown
// command or flag, a missing argument), 3 corruption found, 4 an I/O error
// (also when the output cannot be written). Errors are one line on
// stderr, prefixed "batpak: ". A reader that stops early (batpak dump DIR
// | head -1) ends the command quietly by SIGPIPE, as it ends other Unix
// tools (a shell shows exit status 141).
package main

import (
	"io"
	"os"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run runs the command line args with the given streams and returns the
// exit status. It never panics: a panic inside a command is reported as
// one line and exit status 1. Output that cannot be written (a full disk)
// is an I/O error, exit status 4, even when the command ignored it.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	defer func() {
		if p := recover(); p != nil {
			code = report(stderr, internalError(p))
		}
	}()
	out := &outWriter{w: stdout}
	root := newRoot(&env{stdin: stdin, stdout: out, stderr: stderr})
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		err = out.failure()
	}
	if err != nil {
		if strings.HasPrefix(err.Error(), "unknown command") {
			err = &usageError{err}
		}
		return report(stderr, err)
	}
	return ExitOK
}
