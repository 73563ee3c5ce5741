package main

import (
	"slices"
	"testing"
)

// A pass runs every cell slices times, forth and back, so that each cell
// meets the others' neighbours on both sides.
func TestInterleave(t *testing.T) {
	got := interleave(3, 4)
	want := []int{0, 1, 2, 2, 1, 0, 0, 1, 2, 2, 1, 0}
	if !slices.Equal(got, want) {
		t.Fatalf("interleave(3, 4) = %v, want %v", got, want)
	}
	if got := interleave(2, 0); !slices.Equal(got, []int{0, 1}) {
		t.Fatalf("interleave(2, 0) = %v, want one slice each", got)
	}
}
