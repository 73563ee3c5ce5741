//go:build race

package actors

// Under the race detector everything runs several times slower, so
// TestPowerLossActors does a few rounds; CI runs the full count without
// -race.
const (
	plActorRounds = 2
	plActorShots  = 4
)
