package storage

import (
	"encoding/binary"

	"github.com/batpak-go/batpak/messages"
)

// posTable maps a 16-byte id to a position in the index's entry slice. It
// is an open-addressing hash table with linear probing. A slot holds the
// position+1 in its low 32 bits (0 = empty) and a 32-bit hash of the key
// (its tag) in its high bits. The tag picks the probe start and filters
// probes, so a probe reads the entry (to compare the full key) only when
// the tags match, and the table can grow without reading any key. The keys
// themselves live in the entries: keyOf returns the key at a position.
type posTable struct {
	slots []uint64
	n     int
}

// tagOf hashes a key to 32 bits.
func tagOf(id messages.ID) uint64 {
	h := binary.LittleEndian.Uint64(id[:8]) ^ binary.LittleEndian.Uint64(id[8:])*0x9E3779B97F4A7C15
	h = (h ^ h>>29) * 0xBF58476D1CE4E5B9
	return (h ^ h>>32) & 0xFFFFFFFF
}

func slotOf(tag uint64, pos uint32) uint64 { return tag<<32 | uint64(pos+1) }

// find returns the position stored for key.
func (t *posTable) find(key messages.ID, keyOf func(uint32) messages.ID) (uint32, bool) {
	if len(t.slots) == 0 {
		return 0, false
	}
	tag := tagOf(key)
	mask := uint64(len(t.slots) - 1)
	for i := tag & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			return 0, false
		}
		if s>>32 == tag && keyOf(uint32(s)-1) == key {
			return uint32(s) - 1, true
		}
	}
}

// swap stores pos for key and returns the position it replaced, if any.
func (t *posTable) swap(key messages.ID, pos uint32, keyOf func(uint32) messages.ID) (uint32, bool) {
	if (t.n+1)*4 > len(t.slots)*3 {
		t.grow()
	}
	tag := tagOf(key)
	mask := uint64(len(t.slots) - 1)
	for i := tag & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			t.slots[i] = slotOf(tag, pos)
			t.n++
			return 0, false
		}
		if s>>32 == tag && keyOf(uint32(s)-1) == key {
			t.slots[i] = slotOf(tag, pos)
			return uint32(s) - 1, true
		}
	}
}

// reserve grows the table once so that it holds n keys without growing.
func (t *posTable) reserve(n int, keyOf func(uint32) messages.ID) {
	for n*4 > len(t.slots)*3 {
		t.grow()
	}
}

// grow doubles the table, placing each slot by its tag.
func (t *posTable) grow() {
	old := t.slots
	t.slots = make([]uint64, max(64, 2*len(old)))
	mask := uint64(len(t.slots) - 1)
	for _, s := range old {
		if s == 0 {
			continue
		}
		for i := (s >> 32) & mask; ; i = (i + 1) & mask {
			if t.slots[i] == 0 {
				t.slots[i] = s
				break
			}
		}
	}
}

// insertAll stores, for each slot value of slots (slotOf(tagOf(key), pos),
// in order), pos for key, as swap would, into a table that already has
// room for them (see reserve). It places them in order of their home slot
// (a stable partition by the home's top bits into scratch, which it
// returns for reuse), so that a bulk load writes the table region by
// region instead of at random.
func (t *posTable) insertAll(slots, scratch []uint64, keyOf func(uint32) messages.ID) []uint64 {
	if len(slots) == 0 {
		return scratch
	}
	mask := uint64(len(t.slots) - 1)
	shift := uint(0)
	for mask>>shift >= insertBuckets {
		shift++
	}
	starts := make([]int, insertBuckets+1)
	for _, s := range slots {
		starts[((s>>32)&mask)>>shift+1]++
	}
	for i := 1; i < len(starts); i++ {
		starts[i] += starts[i-1]
	}
	scratch = append(scratch[:0], make([]uint64, len(slots))...)
	for _, s := range slots {
		b := ((s >> 32) & mask) >> shift
		scratch[starts[b]] = s
		starts[b]++
	}
	for _, s := range scratch {
		t.place(s, mask, keyOf)
	}
	return scratch
}

// insertBuckets is how many regions insertAll partitions the table into
// (at 2^21 slots, 4 KiB each).
const insertBuckets = 4096

// place stores slot value s (no growth: the caller reserved room).
func (t *posTable) place(s, mask uint64, keyOf func(uint32) messages.ID) {
	tag := s >> 32
	for i := tag & mask; ; i = (i + 1) & mask {
		o := t.slots[i]
		if o == 0 {
			t.slots[i] = s
			t.n++
			return
		}
		if o>>32 == tag && keyOf(uint32(o)-1) == keyOf(uint32(s)-1) {
			t.slots[i] = s
			return
		}
	}
}
