//go:build race

package storage

// Under the race detector the engine runs several times slower, and the
// power-loss test is single-threaded (the race run only checks that it
// still passes), so it does a few rounds; CI runs the full count without
// -race.
const (
	plEngineRounds = 6
	plShootP       = 0.25
)
