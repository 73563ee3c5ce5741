// Package supervision holds batpak-go's restart policy for the writer actor
// and the protoactor-go strategy that enforces it.
//
// A RestartPolicy has exactly two variants, in the manner of protoactor's
// Directive:
//
//	p := supervision.Once()                     // one restart in the store's life
//	p := supervision.Bounded(3, time.Minute)    // at most 3 restarts in any minute
//	strategy := p.Strategy(supervision.Hooks{}) // an actor.SupervisorStrategy
//
// There is no third constructor and no backoff: a restart happens at once
// (the writer reopens its storage on a fresh segment), and when the budget
// is spent the writer stops for good. The strategy goes on the props of the
// writer's parent (protoactor ignores it on a root actor's own props).
package supervision
