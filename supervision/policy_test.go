package supervision

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPolicyVariants(t *testing.T) {
	require.Equal(t, "once", Once().String())
	require.Equal(t, "once", RestartPolicy{}.String(), "the zero value is Once")
	require.Equal(t, "bounded(3 within 1m0s)", Bounded(3, time.Minute).String())
	require.Equal(t, "bounded(1)", Bounded(0, 0).String())
	require.Equal(t, 3, Bounded(3, time.Second).MaxRestarts())
	require.Equal(t, time.Second, Bounded(3, time.Second).Within())
}

func TestPolicyAllows(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(secs ...int) []time.Time {
		var ts []time.Time
		for _, s := range secs {
			ts = append(ts, t0.Add(time.Duration(s)*time.Second))
		}
		return ts
	}
	tests := []struct {
		name   string
		p      RestartPolicy
		before []time.Time
		now    time.Time
		ok     bool
	}{
		{"once: first failure restarts", Once(), nil, t0, true},
		{"once: second failure stops, however late", Once(), at(0), t0.Add(1000 * time.Hour), false},
		{"bounded: within budget", Bounded(2, time.Minute), at(0), t0.Add(time.Second), true},
		{"bounded: over budget in the window", Bounded(2, time.Minute), at(0, 1), t0.Add(2 * time.Second), false},
		{"bounded: old failures leave the window", Bounded(2, time.Minute), at(0, 1), t0.Add(61 * time.Second), true},
		{"bounded lifetime", Bounded(2, 0), at(0, 1000), t0.Add(1000 * time.Hour), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, _ := tc.p.allows(tc.before, tc.now)
			require.Equal(t, tc.ok, ok)
		})
	}
}
