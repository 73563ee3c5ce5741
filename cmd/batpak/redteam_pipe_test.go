package main

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"
)

// A reader that stops early (batpak dump DIR | head -1) ends the command
// quietly by SIGPIPE, as it ends Unix tools (a shell shows exit status
// 141): no message, no stack trace, for every command that streams.
func TestBinaryClosedPipeEndsQuietlyBySIGPIPE(t *testing.T) {
	dir := writeStore(t, 3000, 10)
	for _, args := range [][]string{{"dump", dir}, {"dump", dir, "--json"}, {"export", dir}, {"tail", dir, "-n", "3000"}} {
		cmd := exec.Command(batpakBin(t), args...)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if _, err := bufio.NewReader(out).ReadString('\n'); err != nil {
			t.Fatal(err)
		}
		out.(*os.File).Close() // as head -1 exits
		err = cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("%v: %v, want an end by SIGPIPE", args, err)
		}
		ws := ee.Sys().(syscall.WaitStatus)
		if !ws.Signaled() || ws.Signal() != syscall.SIGPIPE || errb.Len() != 0 {
			t.Fatalf("%v: %v, stderr %q; want an end by SIGPIPE and nothing on stderr", args, err, errb.String())
		}
	}
}
