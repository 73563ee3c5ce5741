package partition

import (
	"container/heap"

	"github.com/batpak-go/batpak/messages"
)

// Merge is the order of a scatter read (Query, ByCorrelation): it merges
// the events read from each partition, parts[k] being partition k's in its
// global sequence order, into one list in which
//
//   - each partition's events keep their order (their Sequence order:
//     within one partition, the store's global order);
//   - across partitions, the next event is the one, among the partitions'
//     next ones, with the lowest TimestampUS, ties going to the lower
//     partition index.
//
// When the members' clocks agree, the list is in TimestampUS order. It is
// a merge of independent logs, not a causal order: an event may follow one
// of another partition that its writer never saw, and clocks that disagree
// between members reorder events across partitions (never within one).
// Follow CausationID for causality.
func Merge(parts [][]messages.Event) []messages.Event {
	total := 0
	h := make(heads, 0, len(parts))
	for k, p := range parts {
		total += len(p)
		if len(p) > 0 {
			h = append(h, head{k: k, evs: p})
		}
	}
	heap.Init(&h)
	out := make([]messages.Event, 0, total)
	for len(h) > 0 {
		top := &h[0]
		out = append(out, top.evs[0])
		if top.evs = top.evs[1:]; len(top.evs) == 0 {
			heap.Pop(&h)
		} else {
			heap.Fix(&h, 0)
		}
	}
	return out
}

// head is a partition's events not merged yet.
type head struct {
	k   int
	evs []messages.Event
}

// heads is a min-heap of partitions by their next event's (TimestampUS,
// partition).
type heads []head

func (h heads) Len() int { return len(h) }
func (h heads) Less(i, j int) bool {
	a, b := h[i].evs[0].TimestampUS, h[j].evs[0].TimestampUS
	return a < b || (a == b && h[i].k < h[j].k)
}
func (h heads) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *heads) Push(x any)   { *h = append(*h, x.(head)) }
func (h *heads) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
