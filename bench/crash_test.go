package main

import (
	"context"
	"strings"
	"testing"

	"github.com/batpak-go/batpak/storage"
)

// Every system but the disk keeps what it acknowledged before a kill -9
// (a child process killed with SIGKILL; the engine abandoned in process).
func TestCrashKeepsAcknowledged(t *testing.T) {
	for _, sys := range allSystems()[1:] {
		t.Run(sys.Name(), func(t *testing.T) {
			dir := t.TempDir()
			if err := sys.Open(dir, 1); err != nil {
				t.Fatal(err)
			}
			if err := sys.Fill(300); err != nil {
				t.Fatal(err)
			}
			if err := sys.Close(); err != nil {
				t.Fatal(err)
			}
			if err := crashStore(context.Background(), sys, dir, 100); err != nil {
				t.Fatal(err)
			}
			if err := sys.Open(dir, 1); err != nil {
				t.Fatalf("reopen after the crash: %v", err)
			}
			defer sys.Close()
			if n, err := sys.Count(); err != nil || n != 400 {
				t.Fatalf("after the crash: %d events (%v), want 400", n, err)
			}
			if rec, ok := recovery(t, sys); ok && rec.ScannedSegments == 0 {
				t.Fatalf("the crash left every segment sealed: %+v", rec)
			}
		})
	}
}

// recovery is a batpak system's recovery report.
func recovery(t *testing.T, sys System) (storage.RecoveryReport, bool) {
	switch s := sys.(type) {
	case *engineSystem:
		return s.e.Stats().Recovery, true
	case *actorsSystem:
		st, err := s.store.Stats()
		if err != nil {
			t.Fatal(err)
		}
		return st.Recovery, true
	}
	return storage.RecoveryReport{}, false
}

// A child that cannot append says why instead of being waited on.
func TestCrashChildFailureReported(t *testing.T) {
	err := crashInChild(context.Background(), "no such system", t.TempDir(), 1)
	if err == nil || !strings.Contains(err.Error(), `no system named "no such system"`) {
		t.Fatalf("got %v", err)
	}
}
