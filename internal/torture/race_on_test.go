//go:build race

package main

// Under the race detector the checker runs several times slower and the
// program under test (built without -race) gains nothing from it, so the
// race run does a few rounds; CI runs the full rounds without -race.
const defaultRounds = 5
