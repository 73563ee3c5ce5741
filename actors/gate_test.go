package actors

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/supervision"
)

// agDenial checks err is a denial by gate with code, and returns it.
func agDenial(t *testing.T, err error, gate, code string) messages.Denial {
	t.Helper()
	require.ErrorIs(t, err, messages.ErrDenied)
	var de *messages.DenialError
	require.ErrorAs(t, err, &de)
	require.Len(t, de.Denials, 1)
	require.Equal(t, gate, de.Denials[0].Gate)
	require.Equal(t, code, de.Denials[0].Code)
	return de.Denials[0]
}

// agLimit denies a payload longer than 3 bytes.
var agLimit = storage.Gate{Name: "limit", Check: func(p *storage.Proposal) *messages.Denial {
	for _, ev := range p.Events {
		if len(ev.Payload) > 3 {
			return storage.Deny("too_long", "payload of %d bytes", len(ev.Payload))
		}
	}
	return nil
}}

// Config.Storage.Gates reach the writer's engine: a denied append or batch
// is answered with the typed denial (errors.As finds it through Store, in
// the reply an actor receives, and after that reply crossed a process
// boundary), nothing is written, and the request's span ends with an error
// status naming the gate.
func TestGatesDenyThroughTheActors(t *testing.T) {
	f := spawn(t, Config{Storage: storage.Options{Gates: storage.GateSet{Gates: []storage.Gate{agLimit}}}})
	_, err := f.store.Append(ctx(t), &messages.Append{Coordinate: coord("o"), Kind: kind, Payload: []byte("long")})
	agDenial(t, err, "limit", "too_long")
	_, err = f.store.AppendBatch(ctx(t), &messages.AppendBatch{Items: []messages.BatchItem{
		{Coordinate: coord("o"), Kind: kind, Payload: []byte("ok")}, {Coordinate: coord("o"), Kind: kind, Payload: []byte("long")}}})
	agDenial(t, err, "limit", "too_long")

	for _, msg := range []any{
		&messages.Append{Coordinate: coord("o"), Kind: kind, Payload: []byte("long")},
		&messages.AppendBatch{Items: []messages.BatchItem{{Coordinate: coord("o"), Kind: kind, Payload: []byte("long")}}},
	} {
		local, remote := replyErr(t, askFromActor(t, f, msg))
		for _, err := range []error{local, remote} {
			d := agDenial(t, err, "limit", "too_long")
			require.Equal(t, "payload of 4 bytes", d.Message)
		}
	}

	r, err := f.store.Append(ctx(t), &messages.Append{Coordinate: coord("o"), Kind: kind, Payload: []byte("ok")})
	require.NoError(t, err)
	require.Equal(t, uint64(1), r.Version, "nothing of the denied requests was written")
	st, err := f.store.Stats()
	require.NoError(t, err)
	require.Equal(t, 1, st.Events)

	appends := spansNamed(f.recorder, SpanAppend)
	denied := 0
	for _, s := range appends {
		if s.Status().Code != codes.Error {
			continue
		}
		denied++
		require.Equal(t, "denied by gate limit", s.Status().Description)
		require.Contains(t, s.Attributes(), attribute.StringSlice("batpak.gates.denied", []string{"limit"}))
	}
	require.Equal(t, 4, denied)
}

// A gate that panics or overruns its budget is answered with a denial of
// its own code; the writer does not crash or restart, and keeps serving.
func TestGateDefectAndTimeoutDoNotCrashTheWriter(t *testing.T) {
	var mode atomic.Int32 // 1: panic, 2: slow
	odd := storage.Gate{Name: "odd", Check: func(*storage.Proposal) *messages.Denial {
		switch mode.Load() {
		case 1:
			panic("gate bug")
		case 2:
			time.Sleep(3 * time.Millisecond) // the behaviour under test: a gate that takes long
		}
		return nil
	}}
	f := spawn(t, Config{Policy: supervision.Once(),
		Storage: storage.Options{Gates: storage.GateSet{Budget: time.Millisecond, Gates: []storage.Gate{odd}}}})
	for range 3 {
		mode.Store(1)
		_, err := f.store.Append(ctx(t), &messages.Append{Coordinate: coord("o"), Kind: kind})
		d := agDenial(t, err, "odd", messages.DenialGateDefect)
		require.Contains(t, d.Message, "gate bug")
		_, err = f.store.AppendBatch(ctx(t), &messages.AppendBatch{Items: []messages.BatchItem{{Coordinate: coord("o"), Kind: kind}}})
		agDenial(t, err, "odd", messages.DenialGateDefect)

		mode.Store(2)
		_, err = f.store.Append(ctx(t), &messages.Append{Coordinate: coord("o"), Kind: kind})
		agDenial(t, err, "odd", messages.DenialGateTimeout)
	}
	mode.Store(0)
	r, err := f.store.Append(ctx(t), &messages.Append{Coordinate: coord("o"), Kind: kind})
	require.NoError(t, err)
	require.Equal(t, uint64(1), r.Version)
	require.Zero(t, f.store.Restarts(), "the writer never restarted")
	require.Empty(t, spansNamed(f.recorder, supervision.SpanRestart))
	require.NoError(t, f.store.Err())
}

// A bypass through the actors skips the gates and is recorded in the
// event's metadata, which readers and subscribers see.
func TestBypassThroughTheActors(t *testing.T) {
	f := spawn(t, Config{Storage: storage.Options{Gates: storage.GateSet{Gates: []storage.Gate{agLimit}}}})
	sub := follow(t, f.store, storage.Filter{}, 0, nil)
	bp := &messages.Bypass{Reason: "incident-4711", Justification: "ops approved"}
	r, err := f.store.Append(ctx(t), &messages.Append{Coordinate: coord("o"), Kind: kind, Payload: []byte("long"),
		Metadata: messages.Metadata{"by": "alice"}, Bypass: bp})
	require.NoError(t, err)
	want := messages.Metadata{"by": "alice", messages.MetaBypassReason: "incident-4711", messages.MetaBypassJustification: "ops approved"}
	ev, err := f.store.Get(r.EventID)
	require.NoError(t, err)
	require.Equal(t, want, ev.Metadata)
	got := sub.take(t, 1)
	require.Equal(t, r.EventID, got[0].ID)
	require.Equal(t, want, got[0].Metadata)
	require.Equal(t, "long", string(got[0].Payload))

	_, err = f.store.Append(ctx(t), &messages.Append{Coordinate: coord("o"), Kind: kind, Metadata: messages.Metadata{"batpak.x": "y"}})
	require.ErrorIs(t, err, messages.ErrInvalidArgument, "reserved keys are refused")
}
