package catchup

import (
	"errors"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/require"
)

// spent runs one step of s whose time is up since ago (negative: still
// running) and returns how many events it delivered before pausing.
func spent(t *testing.T, s *Steps, ago time.Duration) int {
	t.Helper()
	s.begin()
	s.end = time.Now().Add(-ago)
	for n := 0; n < 1<<20; n++ {
		if err := s.Spend(); err != nil {
			require.ErrorIs(t, err, ErrPause)
			return n
		}
	}
	t.Fatal("the step never paused")
	return 0
}

// Where a step pauses: at its Events; once past its Time, at the end of a
// Page (at a check, every Check events), or at the first check once it is
// Late; never before its first event.
func TestWhereAStepPauses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		limits Limits
		ago    time.Duration
		want   int
	}{
		{name: "time not up: at Events", limits: Limits{Events: 100, Check: 4, Page: 16, Late: time.Hour}, ago: -time.Hour, want: 100},
		{name: "Events not a multiple of Check", limits: Limits{Events: 10, Check: 64, Page: 1024}, ago: -time.Hour, want: 10},
		{name: "time up: at the end of a page", limits: Limits{Events: 1000, Check: 4, Page: 16, Late: time.Hour}, ago: time.Second, want: 15},
		{name: "late: at the first check", limits: Limits{Events: 1000, Check: 4, Page: 16, Late: time.Second}, ago: time.Minute, want: 3},
		{name: "check every event: after the first", limits: Limits{Events: 1000, Check: 1, Page: 1}, ago: time.Second, want: 1},
		{name: "the projection's limits, time up", limits: Limits{Events: 64*1024 - 1, Check: 64, Page: 1024, Late: time.Hour}, ago: time.Second, want: 1023},
		{name: "the projection's limits, time not up", limits: Limits{Events: 64*1024 - 1, Check: 64, Page: 1024, Late: time.Hour}, ago: -time.Hour, want: 64*1024 - 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Steps{Limits: tc.limits}
			require.Equal(t, tc.want, spent(t, s, tc.ago))
			require.Equal(t, tc.want, spent(t, s, tc.ago), "the next step has a budget of its own")
		})
	}
}

// Run sends the actor one Resume for a catch-up that paused, however many
// steps pause before it arrives, and one again after Resumed; it returns
// nil for a pause, and any other error of the step as it is.
func TestRunSendsOneResumeAtATime(t *testing.T) {
	sys := actor.NewActorSystem()
	defer sys.Shutdown()
	s := &Steps{Limits: Limits{Time: time.Hour, Events: 2, Check: 1, Page: 1}}
	other := errors.New("other")
	got := make(chan any, 16)
	resumes := 0
	pause := func() error {
		for {
			if err := s.Spend(); err != nil {
				return err
			}
		}
	}
	pid := sys.Root.Spawn(actor.PropsFromFunc(func(ctx actor.Context) {
		switch m := ctx.Message().(type) {
		case string:
			got <- m
			if m == "go" {
				got <- s.Run(ctx, pause)
				got <- s.Run(ctx, pause)
				got <- s.Run(ctx, func() error { return other })
				got <- s.Resuming()
			}
		case Resume:
			got <- m
			got <- s.Resuming()
			s.Resumed()
			if resumes++; resumes == 1 {
				got <- s.Run(ctx, pause) // the catch-up goes on
			}
		}
	}))
	sys.Root.Send(pid, "go")
	next := func() any {
		select {
		case v := <-got:
			return v
		case <-time.After(10 * time.Second):
			t.Fatal("no answer")
			return nil
		}
	}
	for _, want := range []any{"go", nil, nil, other, true, Resume{}, true, nil} {
		require.Equal(t, want, next())
	}
	// The Resume sent by the last step is on its way: "end" comes after it
	// and after nothing else.
	sys.Root.Send(pid, "end")
	for _, want := range []any{Resume{}, true, "end"} {
		require.Equal(t, want, next())
	}
}
