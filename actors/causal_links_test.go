package actors

import (
	"context"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// causationLinks returns the links of s marked batpak.link=causation.
func causationLinks(s sdktrace.ReadOnlySpan) []sdktrace.Link {
	var out []sdktrace.Link
	for _, l := range s.Links() {
		for _, kv := range l.Attributes {
			if kv == causationLink {
				out = append(out, l)
			}
		}
	}
	return out
}

// A reaction (an append whose CausationID names a committed event) gets a
// link to its trigger's batpak.append span, although the two are in
// different traces; so does a batch item with an absolute causation. An
// append that reacts to nothing, or to an event whose span is not known,
// gets none.
func TestReactionLinksToItsTrigger(t *testing.T) {
	f := spawn(t, Config{})
	tracer := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(f.recorder)).Tracer("test")
	ctx := context.Background()

	triggerCtx, triggerSpan := tracer.Start(ctx, "place order")
	trigger, err := f.store.Append(triggerCtx, &messages.Append{Coordinate: coord("order-1"), Kind: kind})
	require.NoError(t, err)
	triggerSpan.End()

	reactionCtx, reactionSpan := tracer.Start(ctx, "reserve stock")
	_, err = f.store.Append(reactionCtx, &messages.Append{Coordinate: coord("stock-1"), Kind: kind,
		CausationID: trigger.EventID})
	require.NoError(t, err)
	_, err = f.store.AppendBatch(reactionCtx, &messages.AppendBatch{Items: []messages.BatchItem{
		{Coordinate: coord("mail-1"), Kind: kind, Causation: messages.CausedBy(trigger.EventID)},
		{Coordinate: coord("mail-1"), Kind: kind, Causation: messages.CausedByItem(0)},
	}})
	require.NoError(t, err)
	_, err = f.store.Append(reactionCtx, &messages.Append{Coordinate: coord("stock-1"), Kind: kind,
		CausationID: messages.NewID()}) // an unknown cause
	require.NoError(t, err)
	reactionSpan.End()

	appends := spansNamed(f.recorder, SpanAppend)
	require.Len(t, appends, 4)
	triggerAppend := appends[0]
	require.Equal(t, triggerSpan.SpanContext().TraceID(), triggerAppend.SpanContext().TraceID())
	require.Empty(t, causationLinks(triggerAppend))
	for _, reaction := range appends[1:3] {
		require.Equal(t, reactionSpan.SpanContext().TraceID(), reaction.SpanContext().TraceID())
		links := causationLinks(reaction)
		require.Len(t, links, 1, "one link, however many items name the trigger")
		require.Equal(t, triggerAppend.SpanContext(), links[0].SpanContext)
		require.NotEqual(t, reaction.SpanContext().TraceID(), links[0].SpanContext.TraceID(), "across traces")
	}
	require.Empty(t, causationLinks(appends[3]), "an unknown cause: no link")
}

// The memory of spans is bounded: the oldest is forgotten first, a replay
// does not replace an event's span, and an invalid span is never stored.
func TestSpanMemoryIsBounded(t *testing.T) {
	var m spanMemory
	sc := func(i int) trace.SpanContext {
		return trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{byte(i), byte(i >> 8), 1}})
	}
	ids := make([]messages.ID, causalSpans+1)
	for i := range ids {
		ids[i] = messages.NewID()
		m.remember(ids[i], sc(i))
	}
	require.Len(t, m.byID, causalSpans)
	require.Empty(t, m.links(&messages.Append{CausationID: ids[0]}), "the oldest is forgotten")
	require.Len(t, m.links(&messages.Append{CausationID: ids[1]}), 1)
	m.remember(ids[1], sc(99))
	require.Equal(t, sc(1), m.links(&messages.Append{CausationID: ids[1]})[0].SpanContext, "first span wins")
	m.remember(messages.NewID(), trace.SpanContext{})
	require.Len(t, m.byID, causalSpans, "an invalid span is not stored")
}
