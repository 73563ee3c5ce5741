package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/batpak-go/batpak/supervision"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// narrator is a span processor that tells the writer's crashes in plain
// words: it reads the supervision spans (batpak.writer.restart and
// batpak.writer.stopped) as the store ends them, so every figure it prints
// is the store's own: the policy, the restart count, the segments, what
// was cut, and how many requests the crash answered (the span's links).
type narrator struct {
	w io.Writer // safe for concurrent use: spans end on the store's goroutines
}

// OnStart implements sdktrace.SpanProcessor.
func (n *narrator) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

// OnEnd implements sdktrace.SpanProcessor.
func (n *narrator) OnEnd(sp sdktrace.ReadOnlySpan) {
	switch sp.Name() {
	case supervision.SpanRestart, supervision.SpanStopped:
		fmt.Fprint(n.w, failureLines(sp))
	}
}

// Shutdown implements sdktrace.SpanProcessor.
func (n *narrator) Shutdown(context.Context) error { return nil }

// ForceFlush implements sdktrace.SpanProcessor.
func (n *narrator) ForceFlush(context.Context) error { return nil }

// failureLines tells a restart or stop span in two lines.
func failureLines(sp sdktrace.ReadOnlySpan) string {
	a := map[attribute.Key]attribute.Value{}
	for _, kv := range sp.Attributes() {
		a[kv.Key] = kv.Value
	}
	var b strings.Builder
	fmt.Fprintf(&b, "  writer crashed (panic %q): the %d request(s) it held were never acknowledged; anything written for them was cut from segment %d, and they were answered ErrWriterCrashed",
		a["batpak.panic"].AsString(), len(sp.Links()), a["batpak.segment.old"].AsInt64())
	if cut := a["batpak.cut"].AsStringSlice(); len(cut) > 0 {
		fmt.Fprintf(&b, " (cut: %s)", strings.Join(cut, "; "))
	}
	b.WriteString("\n")
	if sp.Name() == supervision.SpanStopped {
		fmt.Fprintf(&b, "  writer stopped for good: policy %s allowed %d restart(s) and this is failure %d in its window; appends now get ErrWriterStopped, reads go on, every acknowledged event is kept\n",
			a["batpak.policy"].AsString(), a["batpak.restart"].AsInt64(), a["batpak.failures_in_window"].AsInt64())
		return b.String()
	}
	fmt.Fprintf(&b, "  writer restarted: policy %s, restart %d (failure %d in its window); segment %d sealed, writing goes on in segment %d; no data loss: only unacknowledged writes were cut, every acknowledged event survives\n",
		a["batpak.policy"].AsString(), a["batpak.restart"].AsInt64(), a["batpak.failures_in_window"].AsInt64(),
		a["batpak.segment.old"].AsInt64(), a["batpak.segment.new"].AsInt64())
	return b.String()
}
