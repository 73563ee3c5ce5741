// Package killtest runs a test binary's child test in a process of its
// own and SIGKILLs it at a chosen moment, for the process-kill tests of
// the es/ packages.
package killtest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
)

// KillWhen runs the test named child (of the running test binary) with
// env=dir in its environment, reads its standard output line by line, and
// SIGKILLs it as soon as a line parses with format (one integer, e.g.
// "checkpoints %d") to a value of at least n. The test fails if the child
// ends first.
func KillWhen(t *testing.T, child, env, dir, format string, n int64) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+child+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		var got int64
		if _, err := fmt.Sscanf(sc.Text(), format, &got); err == nil && got >= n {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			return
		}
	}
	_ = cmd.Wait()
	t.Fatalf("the child %s ended before its output said %q >= %d", child, format, n)
}
