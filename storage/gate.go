package storage

import (
	"fmt"
	"time"

	"github.com/batpak-go/batpak/messages"
)

// Gate is a named policy predicate over a proposed append: the engine asks
// it, before anything is staged, whether the proposal may be written. A
// gate judges only what it is given (the proposal and the entities'
// current versions through Proposal.Version): no I/O, no side effects, and
// it must not modify or keep the proposal or anything it points to
// (payloads and metadata are the request's and the engine's).
//
// Check runs on the writer's goroutine, synchronously, inside Append or
// AppendBatch: a slow gate slows every append, and a gate that never
// returns blocks the writer as any code in it would. A gate that panics is
// answered with a denial coded messages.DenialGateDefect (the engine and
// the writer carry on); one that returns after its set's Budget is
// answered with messages.DenialGateTimeout.
type Gate struct {
	// Name identifies the gate in denials, errors and spans; required,
	// unique in its set.
	Name string
	// Description says what the gate enforces, for people; optional.
	Description string
	// Check returns nil to allow the proposal, or a denial (see Deny) to
	// refuse it; the set fills in the denial's Gate. Required.
	Check func(p *Proposal) *messages.Denial
}

// GateSet is the policy the engine runs before it stages an append or a
// batch (Options.Gates). Its gates run in order; the first denial refuses
// the request (or, with CollectAll, every gate runs and all denials are
// reported). A refused request is answered with a *messages.DenialError
// (errors.Is(err, messages.ErrDenied)) and leaves no trace: nothing is
// staged or written, and denials are never stored as events.
//
// Where gates run in the append protocol: after validation, after the
// idempotency replay (a retry of a request already written gets its
// original receipt without the gates running again, whatever they would
// say now), and after the expected-version check (a proposal that does
// not hold is a version conflict, not a denial, and gates see only
// proposals that would be written); then, if they all allow, the events
// are staged. An append or batch that carries a messages.Bypass skips the
// gates; the bypass is recorded in each of its events' metadata.
//
// A GateSet without gates (the zero one, or an empty list) costs nothing:
// the append path tests the list's length and builds no proposal.
type GateSet struct {
	// Gates are the gates, in the order they run.
	Gates []Gate
	// CollectAll runs every gate and reports all denials; default false:
	// stop at the first denial.
	CollectAll bool
	// Budget, when positive, is the time each gate may take: one that
	// returns later is answered with a messages.DenialGateTimeout denial,
	// whatever its verdict (the time is measured after it returns: it
	// cannot be interrupted; the clock is read once before the first gate
	// and once after each). Default 0: no budget, and no clock read.
	Budget time.Duration
}

// Deny returns a denial with code (a short identifier for programs, e.g.
// "amount_over_limit"; "" is messages.DenialDefault) and a message formatted
// as fmt.Sprintf does. A gate returns it from Check.
func Deny(code, format string, args ...any) *messages.Denial {
	return &messages.Denial{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Proposal is what gates judge: the events an Append (one event) or an
// AppendBatch (its items, in order) would write, and a read-only view of
// the entities' current versions.
type Proposal struct {
	// Events are the proposed events, in the order they would be written.
	Events []ProposedEvent
	// Batch is true for an AppendBatch (also of one item).
	Batch bool
	e     *Engine
}

// ProposedEvent is one event of a proposal, as it would be written.
type ProposedEvent struct {
	// ID is the id the event would get (IDFromKey(IdempotencyKey) for a
	// keyed request, else a fresh UUIDv7).
	ID messages.ID
	// Coordinate is the event's stream.
	Coordinate messages.Coordinate
	// Kind is the event's type.
	Kind messages.EventKind
	// Payload is the event's body: the request's bytes, not a copy. Do not
	// modify or keep it.
	Payload []byte
	// Expected is the request's expected version (it held: the check runs
	// before the gates).
	Expected messages.ExpectedVersion
	// CorrelationID is the event's correlation as it would be stored (the
	// event's own ID when the request left it zero).
	CorrelationID messages.ID
	// CausationID is the event's cause as it would be stored (an earlier
	// batch item's ID for a CausedByItem), or zero.
	CausationID messages.ID
	// IdempotencyKey is the request's key, or zero.
	IdempotencyKey messages.ID
	// Metadata is the event's metadata as it would be stored, or nil. Do
	// not modify or keep it.
	Metadata messages.Metadata
	// Version is the version the event would take in its entity: the
	// entity's current version (see Proposal.Version) plus one, plus the
	// earlier events of the proposal on the same entity. Reading it costs
	// nothing; prefer it to Proposal.Version for the proposed entities.
	Version uint64
}

// Version returns the current version of the entity c (0: no events) as
// the append path sees it: counting the events staged or written but not
// yet published, and none of the proposal's own. A batch's events on one
// entity would take the versions after it, in item order. It is 0 on a
// Proposal the engine did not make.
func (p *Proposal) Version(c messages.Coordinate) uint64 {
	if p == nil || p.e == nil {
		return 0
	}
	for i := range p.Events { // a proposed entity: known without a lookup
		if ev := &p.Events[i]; ev.Coordinate == c && ev.Version > 0 {
			return ev.Version - 1
		}
	}
	if h := p.e.over.heads.lookup(c); h != nil {
		return h.tail.version
	}
	return p.e.idx.tailOf(c).version
}

// evaluate runs the gates over p: nil if they all allow, else a
// *messages.DenialError.
func (s *GateSet) evaluate(p *Proposal) error {
	var denials messages.Denials
	if s.Budget > 0 {
		last := time.Now() // when the previous gate returned
		for i := range s.Gates {
			if d := s.run(&s.Gates[i], p, &last); d != nil {
				if denials = append(denials, *d); !s.CollectAll {
					break
				}
			}
		}
	} else {
		for i := 0; i < len(s.Gates); {
			at, d, _ := s.checkFrom(i, p)
			if d == nil {
				break
			}
			if denials = append(denials, named(&s.Gates[at], d)); !s.CollectAll {
				break
			}
			i = at + 1
		}
	}
	if denials == nil {
		return nil
	}
	return &messages.DenialError{Denials: denials}
}

// checkFrom calls the gates from index i on, without a budget, until one
// denies or panics, and returns its index and denial (defect: a panic
// recovered as a defect denial), or a nil denial when all allowed. One
// deferred recover covers the whole run: the cost of a gate is its call.
func (s *GateSet) checkFrom(i int, p *Proposal) (at int, d *messages.Denial, defect bool) {
	at = i
	defer func() {
		if r := recover(); r != nil {
			d, defect = defectDenial(r), true
		}
	}()
	for ; at < len(s.Gates); at++ {
		if d = s.Gates[at].Check(p); d != nil {
			return at, d, false
		}
	}
	return at, nil, false
}

// named returns a copy of the denial d of gate g, with g's name and the
// default code when d has none.
func named(g *Gate, d *messages.Denial) messages.Denial {
	c := *d
	c.Gate = g.Name
	if c.Code == "" {
		c.Code = messages.DenialDefault
	}
	return c
}

// defectDenial is the denial of a gate that panicked with r.
func defectDenial(r any) *messages.Denial {
	return &messages.Denial{Code: messages.DenialGateDefect, Message: fmt.Sprintf("the gate panicked: %v", r)}
}

// run runs one gate, turning a panic into a defect denial and an overrun
// of the budget into a timeout denial. The denial it returns is its own
// copy, named after g. With a budget, *last is when the gate started (the
// previous one returned: one clock read per gate) and is set to when it
// returned.
func (s *GateSet) run(g *Gate, p *Proposal, last *time.Time) *messages.Denial {
	d, defect := check(g, p)
	if d != nil {
		c := named(g, d)
		d = &c
	}
	now := time.Now()
	took := now.Sub(*last)
	*last = now
	if defect || took <= s.Budget {
		return d
	}
	verdict := "allow"
	if d != nil {
		verdict = "deny: " + d.Code + ": " + d.Message
	}
	return &messages.Denial{Gate: g.Name, Code: messages.DenialGateTimeout,
		Message: fmt.Sprintf("the gate took %v, over its budget of %v (its verdict: %s)", took, s.Budget, verdict)}
}

// check calls g.Check, recovering a panic as a defect denial.
func check(g *Gate, p *Proposal) (d *messages.Denial, defect bool) {
	defer func() {
		if r := recover(); r != nil {
			d, defect = defectDenial(r), true
		}
	}()
	return g.Check(p), false
}

// validate checks the set's rules (for Options.Validate).
func (s *GateSet) validate() error {
	if s.Budget < 0 {
		return fmt.Errorf("Gates.Budget %v is negative", s.Budget)
	}
	seen := make(map[string]bool, len(s.Gates))
	for i, g := range s.Gates {
		switch {
		case g.Name == "":
			return fmt.Errorf("gate %d has no name", i)
		case g.Check == nil:
			return fmt.Errorf("gate %q has no Check", g.Name)
		case seen[g.Name]:
			return fmt.Errorf("gate name %q repeats", g.Name)
		}
		seen[g.Name] = true
	}
	return nil
}
