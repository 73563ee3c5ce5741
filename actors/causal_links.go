package actors

import (
	"github.com/batpak-go/batpak/messages"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// causalSpans is the number of recently committed events whose
// batpak.append span the writer remembers, so that a reaction appended
// soon after its trigger links to the trigger's span.
const causalSpans = 16 << 10

// causationLink is the attribute that marks a reaction's link to its
// trigger: batpak.link = "causation".
var causationLink = attribute.String("batpak.link", "causation")

// spanMemory maps the ids of the last causalSpans traced events the writer
// committed to their batpak.append spans' contexts (a ring: the oldest is
// forgotten first). Only the writer touches it, one instance at a time; it
// lives in shared, so that it outlives a restart. Nothing is stored for an
// append without a span, so an untraced store pays nothing.
type spanMemory struct {
	byID map[messages.ID]trace.SpanContext
	ring []messages.ID
	next int
}

// remember notes the span context of a committed event.
func (m *spanMemory) remember(id messages.ID, sc trace.SpanContext) {
	if !sc.IsValid() || id.IsZero() {
		return
	}
	if m.byID == nil {
		m.byID = make(map[messages.ID]trace.SpanContext)
		m.ring = make([]messages.ID, 0, causalSpans)
	}
	if _, ok := m.byID[id]; ok {
		return
	}
	if len(m.ring) < causalSpans {
		m.ring = append(m.ring, id)
	} else {
		delete(m.byID, m.ring[m.next])
		m.ring[m.next] = id
		m.next = (m.next + 1) % causalSpans
	}
	m.byID[id] = sc
}

// links returns the span links of a request's causations: for an Append
// its CausationID, for a batch each item's absolute causation (a cause
// earlier in the same batch shares the batch's span). A causation whose
// span is not remembered (untraced, too old, or from before the process
// started) gets no link.
func (m *spanMemory) links(msg any) []trace.Link {
	if len(m.byID) == 0 {
		return nil
	}
	var out []trace.Link
	add := func(id messages.ID) {
		if sc, ok := m.byID[id]; ok && !id.IsZero() {
			for _, l := range out {
				if l.SpanContext.Equal(sc) {
					return
				}
			}
			out = append(out, trace.Link{SpanContext: sc, Attributes: []attribute.KeyValue{causationLink,
				attribute.String("batpak.causation", id.String())}})
		}
	}
	switch r := msg.(type) {
	case *messages.Append:
		add(r.CausationID)
	case *messages.AppendBatch:
		for i := range r.Items {
			if c := r.Items[i].Causation; c.Mode == messages.CauseAbsolute {
				add(c.ID)
			}
		}
	}
	return out
}
