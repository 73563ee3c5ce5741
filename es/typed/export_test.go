package typed

import "github.com/batpak-go/batpak/messages"

// HasPlan reports whether kind's registered type has a compiled plan.
func HasPlan(r *Registry, kind messages.EventKind) bool {
	b := r.kind(kind)
	return b != nil && b.codec != nil
}
