//go:build !race

package main

// defaultRounds is the number of kill -9 rounds of a plain test run.
const defaultRounds = 50
