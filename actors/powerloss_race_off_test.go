//go:build !race

package actors

// The size of TestPowerLossActors in a plain run: rounds (each a store
// over two sessions), and moments per session at which images are taken
// under load.
const (
	plActorRounds = 8
	plActorShots  = 12
)
