// Package actorstest injects failures into a running store, for the tests
// of applications built on it: crash the writer (as a bug would), crash the
// fanout, hold the writer so that requests queue behind it, or crash the
// writer on every n-th append (a crash storm). Each works through the
// store's own actors, so what a test sees afterwards (restarts, crashed
// requests answered with messages.ErrWriterCrashed, spans, gaps) is what
// production would see. Do not use it outside tests.
package actorstest

import (
	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/internal/faults"
)

// CrashWriter makes the store's writer panic with reason when it reaches
// this message in its mailbox: the requests of the group it holds are
// answered messages.ErrWriterCrashed (nothing of them written), and the
// writer is restarted or stopped by Config.Policy. It returns at once; a
// request sent after it (by the same sender, or through the Store) is
// handled after the crash, by the restarted writer, and when it is answered
// Store.Restarts already counts the restart: to wait for the restart, send
// a request (for example Store.Sync) and wait for its answer.
func CrashWriter(s *actors.Store, reason string) {
	s.System().Root.Send(s.Writer(), &faults.Panic{Reason: reason})
}

// CrashFanout makes the store's fanout panic with reason: it is restarted
// at once (outside the writer's budget) and its subscribers get a gap.
func CrashFanout(s *actors.Store, reason string) {
	s.System().Root.Send(s.Fanout(), &faults.Panic{Reason: reason})
}

// HoldWriter makes the writer wait, when it reaches this message, until
// release is called: requests sent meanwhile queue in its mailbox, in
// order. Call release exactly once.
func HoldWriter(s *actors.Store) (release func()) {
	ch := make(chan struct{})
	s.System().Root.Send(s.Writer(), &faults.Block{Release: ch})
	return func() { close(ch) }
}

// CrashWriterEvery makes the writer panic on every n-th append it handles
// from then on, times times in all (across its restarts).
func CrashWriterEvery(s *actors.Store, n, times int) {
	s.System().Root.Send(s.Writer(), &faults.PanicEvery{N: n, Times: times})
}
