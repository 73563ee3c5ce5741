package storage

import (
	"encoding/binary"

	"github.com/batpak-go/batpak/messages"
)

// posTable maps a 16-byte id to a position in the index's entry slice. It
// is an open-addressing hash table whose slots hold position+1 (0 = empty):
// 4 bytes a slot, the keys themselves live in the entries. keyOf returns
// the key of the entry at a position.
type posTable struct {
	slots []uint32
	n     int
}

func hashID(id messages.ID) uint64 {
	h := binary.LittleEndian.Uint64(id[:8]) ^ binary.LittleEndian.Uint64(id[8:])*0x9E3779B97F4A7C15
	return (h ^ h>>29) * 0xBF58476D1CE4E5B9
}

// find returns the position stored for key.
func (t *posTable) find(key messages.ID, keyOf func(uint32) messages.ID) (uint32, bool) {
	if len(t.slots) == 0 {
		return 0, false
	}
	mask := uint64(len(t.slots) - 1)
	for i := hashID(key) & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			return 0, false
		}
		if keyOf(s-1) == key {
			return s - 1, true
		}
	}
}

// put stores pos for key, replacing the position stored for an equal key.
func (t *posTable) put(key messages.ID, pos uint32, keyOf func(uint32) messages.ID) {
	if (t.n+1)*4 > len(t.slots)*3 {
		t.grow(keyOf)
	}
	mask := uint64(len(t.slots) - 1)
	for i := hashID(key) & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			t.slots[i] = pos + 1
			t.n++
			return
		}
		if keyOf(s-1) == key {
			t.slots[i] = pos + 1
			return
		}
	}
}

func (t *posTable) grow(keyOf func(uint32) messages.ID) {
	old := t.slots
	t.slots = make([]uint32, max(64, 2*len(old)))
	t.n = 0
	for _, s := range old {
		if s != 0 {
			t.put(keyOf(s-1), s-1, keyOf)
		}
	}
}
