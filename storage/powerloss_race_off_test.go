//go:build !race

package storage

// The size of TestPowerLossEngine in a plain run: rounds (each a store over
// 2-4 sessions) and the probability of taking images at each point.
const (
	plEngineRounds = 100
	plShootP       = 0.25
)
