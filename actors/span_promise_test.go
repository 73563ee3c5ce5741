package actors

import (
	"testing"

	"github.com/batpak-go/batpak/internal/faults"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/supervision"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// spanAttrs is a span's attributes by key.
func spanAttrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	out := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		out[kv.Key] = kv.Value
	}
	return out
}

// The README's spans table: an append's span names its entity, scope,
// sequence and whether it was a replay; a batch's names its item count and,
// when every item is on one entity, that entity and scope; a commit's
// names its requests, events, bytes and fsync time; a reaction's link to
// its trigger carries batpak.causation = the trigger's id; a refused
// append's span has error status.
func TestPromiseAppendAndCommitSpanAttributes(t *testing.T) {
	f := spawn(t, Config{})
	key := messages.NewID()
	trigger, err := f.store.Append(ctx(t), &messages.Append{Coordinate: coord("order-1"), Kind: kind,
		Payload: []byte("abc"), IdempotencyKey: key})
	require.NoError(t, err)
	again, err := f.store.Append(ctx(t), &messages.Append{Coordinate: coord("order-1"), Kind: kind,
		Payload: []byte("abc"), IdempotencyKey: key})
	require.NoError(t, err)
	require.True(t, again.Replayed)
	_, err = f.store.AppendBatch(ctx(t), &messages.AppendBatch{Items: []messages.BatchItem{
		{Coordinate: coord("stock-1"), Kind: kind, Causation: messages.CausedBy(trigger.EventID)},
		{Coordinate: coord("stock-1"), Kind: kind},
	}})
	require.NoError(t, err)
	_, err = f.store.AppendBatch(ctx(t), &messages.AppendBatch{Items: []messages.BatchItem{
		{Coordinate: coord("a"), Kind: kind}, {Coordinate: coord("b"), Kind: kind},
	}})
	require.NoError(t, err)
	_, err = f.store.Append(ctx(t), &messages.Append{Coordinate: coord("order-1"), Kind: kind, Expected: messages.NoStream()})
	require.ErrorIs(t, err, messages.ErrVersionConflict)

	appends := spansNamed(f.recorder, SpanAppend)
	require.Len(t, appends, 5)
	require.Equal(t, codes.Error, appends[4].Status().Code, "a refused append's span has error status")
	require.NotEqual(t, codes.Error, appends[0].Status().Code)
	first, replay, oneEntity, twoEntities := spanAttrs(appends[0]), spanAttrs(appends[1]), spanAttrs(appends[2]), spanAttrs(appends[3])
	require.Equal(t, "order-1", first["batpak.entity"].AsString())
	require.Equal(t, "test", first["batpak.scope"].AsString())
	require.Equal(t, int64(trigger.Sequence), first["batpak.sequence"].AsInt64())
	require.False(t, first["batpak.replayed"].AsBool())
	require.True(t, replay["batpak.replayed"].AsBool())
	require.Equal(t, int64(trigger.Sequence), replay["batpak.sequence"].AsInt64())

	require.Equal(t, int64(2), oneEntity["batpak.batch.items"].AsInt64())
	require.Equal(t, "stock-1", oneEntity["batpak.entity"].AsString())
	require.Equal(t, "test", oneEntity["batpak.scope"].AsString())
	require.Equal(t, int64(2), twoEntities["batpak.batch.items"].AsInt64())
	require.NotContains(t, twoEntities, attribute.Key("batpak.entity"), "items on two entities: no entity")
	require.NotContains(t, twoEntities, attribute.Key("batpak.scope"))

	links := causationLinks(appends[2])
	require.Len(t, links, 1)
	var causation string
	for _, kv := range links[0].Attributes {
		if kv.Key == "batpak.causation" {
			causation = kv.Value.AsString()
		}
	}
	require.Equal(t, trigger.EventID.String(), causation)

	commits := spansNamed(f.recorder, SpanCommit)
	require.NotEmpty(t, commits)
	c := spanAttrs(commits[0])
	require.Equal(t, int64(1), c["batpak.group.requests"].AsInt64())
	require.Equal(t, int64(1), c["batpak.group.events"].AsInt64())
	require.Positive(t, c["batpak.group.bytes"].AsInt64())
	require.Contains(t, c, attribute.Key("batpak.fsync_ms"))
	require.GreaterOrEqual(t, c["batpak.fsync_ms"].AsFloat64(), 0.0)
}

// The README's spans table: the crash that spends the budget is a
// batpak.writer.stopped span with the restart's attributes but no new
// segment; the store's Done is then closed and Err is ErrWriterStopped
// (README, "In your own supervision tree").
func TestPromiseWriterStoppedSpanAndErr(t *testing.T) {
	f := spawn(t, Config{Policy: supervision.Once()})
	_, err := f.store.Append(ctx(t), &messages.Append{Coordinate: coord("e"), Kind: kind})
	require.NoError(t, err)
	f.sys.Root.Send(f.store.Writer(), &faults.Panic{Reason: "first"})
	require.NoError(t, f.store.Sync(ctx(t)), "restarted once")
	f.sys.Root.Send(f.store.Writer(), &faults.Panic{Reason: "second"})
	<-f.store.Done()
	require.ErrorIs(t, f.store.Err(), messages.ErrWriterStopped)

	restarts := spansNamed(f.recorder, supervision.SpanRestart)
	require.Len(t, restarts, 1)
	stops := spansNamed(f.recorder, supervision.SpanStopped)
	require.Len(t, stops, 1)
	r, s := spanAttrs(restarts[0]), spanAttrs(stops[0])
	for _, k := range []attribute.Key{"batpak.policy", "batpak.restart", "batpak.failures_in_window", "batpak.panic",
		"batpak.child", "batpak.segment.old", "batpak.segment.new"} {
		require.Contains(t, r, k, "the restart span")
	}
	for _, k := range []attribute.Key{"batpak.policy", "batpak.restart", "batpak.failures_in_window", "batpak.panic",
		"batpak.child", "batpak.segment.old"} {
		require.Contains(t, s, k, "the stop span")
	}
	require.NotContains(t, s, attribute.Key("batpak.segment.new"), "no new segment after a stop")
	require.Equal(t, "second", s["batpak.panic"].AsString())
	require.Equal(t, f.store.Writer().Id, s["batpak.child"].AsString())
	require.Equal(t, int64(2), s["batpak.failures_in_window"].AsInt64())
}

// The README's spans table: a fanout restart is a batpak.fanout.restart
// span naming the panic and the child.
func TestPromiseFanoutRestartSpan(t *testing.T) {
	f := spawn(t, Config{})
	all := follow(t, f.store, storage.Filter{}, 0, nil)
	f.sys.Root.Send(f.store.Fanout(), &faults.Panic{Reason: "fanout bug"})
	_, err := f.store.Append(ctx(t), &messages.Append{Coordinate: coord("e"), Kind: kind})
	require.NoError(t, err)
	all.take(t, 1) // delivered by the restarted fanout: the span has ended
	spans := spansNamed(f.recorder, SpanFanoutRestart)
	require.Len(t, spans, 1)
	a := spanAttrs(spans[0])
	require.Equal(t, "fanout bug", a["batpak.panic"].AsString())
	require.Equal(t, f.store.Fanout().Id, a["batpak.child"].AsString())
}
