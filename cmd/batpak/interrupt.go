package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// interrupted is the cause of a command's context cancelled by a signal.
type interrupted struct{ sig syscall.Signal }

func (i *interrupted) Error() string { return "interrupted by " + i.sig.String() }

// status is the exit status of a command a signal stopped: 128 plus the
// signal's number, as a shell shows a command the signal ended (130 for
// SIGINT, 143 for SIGTERM).
func (i *interrupted) status() int { return 128 + int(i.sig) }

// interruptible returns a context cancelled, with an *interrupted cause,
// by the first SIGINT or SIGTERM, so that a command can clean up before it
// exits; the signals then get their default action back, so that a second
// one ends the process at once (should the command be stuck in a read). A
// signal ignored when batpak started (a background job of a script) stays
// ignored. stop releases the signals.
func interruptible() (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	var sigs []os.Signal
	for _, s := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		if !signal.Ignored(s) {
			sigs = append(sigs, s)
		}
	}
	ch := make(chan os.Signal, 1)
	done := make(chan struct{})
	signal.Notify(ch, sigs...)
	go func() {
		select {
		case s := <-ch:
			signal.Stop(ch)
			cancel(&interrupted{s.(syscall.Signal)})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
}

// interruptedError returns, for a command stopped by a signal (ctx's
// cause), its one-line error and exit status; else nil.
func interruptedError(ctx context.Context, what string) error {
	i, ok := context.Cause(ctx).(*interrupted)
	if !ok {
		return nil
	}
	return &statusError{code: i.status(), err: fmt.Errorf("%s: %v", what, i)}
}
