package messages_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/batpak-go/batpak/messages"
)

var _ propagation.TextMapCarrier = messages.TraceCarrier(nil)

func TestTraceCarrier(t *testing.T) {
	tests := []struct {
		name     string
		carrier  messages.TraceCarrier
		set      [][2]string
		wantGet  map[string]string
		wantKeys []string
	}{
		{
			name:     "empty",
			carrier:  messages.TraceCarrier{},
			wantGet:  map[string]string{"traceparent": ""},
			wantKeys: []string{},
		},
		{
			name:    "set and get",
			carrier: messages.TraceCarrier{},
			set:     [][2]string{{"traceparent", "00-aa-bb-01"}, {"tracestate", "k=v"}},
			wantGet: map[string]string{
				"traceparent": "00-aa-bb-01",
				"tracestate":  "k=v",
				"missing":     "",
			},
			wantKeys: []string{"traceparent", "tracestate"},
		},
		{
			name:     "set overwrites",
			carrier:  messages.TraceCarrier{"traceparent": "old"},
			set:      [][2]string{{"traceparent", "new"}},
			wantGet:  map[string]string{"traceparent": "new"},
			wantKeys: []string{"traceparent"},
		},
		{
			name:     "empty value is still a key",
			carrier:  messages.TraceCarrier{},
			set:      [][2]string{{"tracestate", ""}},
			wantGet:  map[string]string{"tracestate": ""},
			wantKeys: []string{"tracestate"},
		},
		{
			name:     "nil carrier is empty and ignores Set",
			carrier:  nil,
			set:      [][2]string{{"traceparent", "00-aa-bb-01"}},
			wantGet:  map[string]string{"traceparent": ""},
			wantKeys: []string{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.carrier
			for _, kv := range tc.set {
				require.NotPanics(t, func() { c.Set(kv[0], kv[1]) })
			}
			for k, v := range tc.wantGet {
				require.Equal(t, v, c.Get(k), "Get(%q)", k)
			}
			keys := c.Keys()
			require.NotNil(t, keys)
			require.ElementsMatch(t, tc.wantKeys, keys)
		})
	}
}

// A W3C trace context injected into an Append's carrier comes out the same
// on the other side of the wire.
func TestTraceCarrierPropagation(t *testing.T) {
	tid, err := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	require.NoError(t, err)
	sid, err := trace.SpanIDFromHex("00f067aa0ba902b7")
	require.NoError(t, err)
	ts, err := trace.ParseTraceState("vendor=value")
	require.NoError(t, err)
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled, TraceState: ts, Remote: true,
	})
	ctx := trace.ContextWithSpanContext(context.Background(), sc)
	prop := propagation.TraceContext{}

	tests := []struct {
		name string
		msg  func(messages.TraceCarrier) any
		get  func(any) messages.TraceCarrier
	}{
		{
			name: "Append",
			msg:  func(c messages.TraceCarrier) any { return &messages.Append{Trace: c} },
			get:  func(m any) messages.TraceCarrier { return m.(*messages.Append).Trace },
		},
		{
			name: "AppendBatch",
			msg:  func(c messages.TraceCarrier) any { return &messages.AppendBatch{Trace: c} },
			get:  func(m any) messages.TraceCarrier { return m.(*messages.AppendBatch).Trace },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			carrier := messages.TraceCarrier{}
			prop.Inject(ctx, carrier)
			require.ElementsMatch(t, []string{"traceparent", "tracestate"}, carrier.Keys())

			b, err := msgpack.Marshal(tc.msg(carrier))
			require.NoError(t, err)
			out := tc.msg(nil)
			require.NoError(t, msgpack.Unmarshal(b, out))

			got := trace.SpanContextFromContext(prop.Extract(context.Background(), tc.get(out)))
			require.True(t, got.IsValid())
			require.Equal(t, sc.TraceID(), got.TraceID())
			require.Equal(t, sc.SpanID(), got.SpanID())
			require.Equal(t, sc.TraceFlags(), got.TraceFlags())
			require.Equal(t, sc.TraceState().String(), got.TraceState().String())
		})
	}

	t.Run("extract from nil carrier", func(t *testing.T) {
		got := trace.SpanContextFromContext(prop.Extract(context.Background(), messages.TraceCarrier(nil)))
		require.False(t, got.IsValid())
	})
}
