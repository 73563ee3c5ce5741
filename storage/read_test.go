package storage

import (
	"encoding/binary"
	"hash/crc32"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
	"github.com/stretchr/testify/require"
)

func TestQueryFilters(t *testing.T) {
	h := newHarness(t, Options{})
	k2 := messages.MustKind(2, 7)
	add := func(entity, scope string, k messages.EventKind, p string) {
		h.append(messages.Append{Coordinate: messages.Coordinate{Entity: entity, Scope: scope}, Kind: k, Payload: []byte(p)})
	}
	add("order/1", "eu", testKind, "o1")
	add("order/2", "us", k2, "o2")
	add("user/1", "eu", testKind, "u1")
	add("order/1", "eu", k2, "o1b")
	add("orders-archive/1", "eu", testKind, "arch")
	require.NoError(t, h.e.Commit())
	tests := []struct {
		name string
		f    Filter
		want []string
	}{
		{"everything", Filter{}, []string{"o1", "o2", "u1", "o1b", "arch"}},
		{"entity prefix", Filter{EntityPrefix: "order/"}, []string{"o1", "o2", "o1b"}},
		{"scope", Filter{Scope: "eu"}, []string{"o1", "u1", "o1b", "arch"}},
		{"prefix and scope", Filter{EntityPrefix: "order", Scope: "us"}, []string{"o2"}},
		{"kind", Filter{Kinds: []messages.EventKind{k2}}, []string{"o2", "o1b"}},
		{"sequence range", Filter{FromSeq: 1, BeforeSeq: 4}, []string{"o2", "u1", "o1b"}},
		{"from the end", Filter{FromSeq: 4}, []string{"arch"}},
		{"past the end", Filter{FromSeq: 99}, nil},
		{"limit", Filter{Scope: "eu", Limit: 2}, []string{"o1", "u1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := h.e.Query(tc.f)
			require.NoError(t, err)
			if tc.want == nil {
				require.Empty(t, evs)
				return
			}
			require.Equal(t, tc.want, payloads(evs))
		})
	}
}

func TestStreamFromVersion(t *testing.T) {
	h := newHarness(t, Options{})
	for _, p := range numbered("v", 5) {
		h.put("e", p)
	}
	evs, err := h.e.Stream(coord("e"), 3)
	require.NoError(t, err)
	require.Equal(t, []string{"v2", "v3", "v4"}, payloads(evs))
	evs, err = h.e.Stream(coord("e"), 0)
	require.NoError(t, err)
	require.Len(t, evs, 5)
	evs, err = h.e.Stream(coord("e"), 6)
	require.NoError(t, err)
	require.Empty(t, evs)
	evs, err = h.e.Stream(coord("nobody"), 1)
	require.NoError(t, err)
	require.Empty(t, evs)
}

func TestByCorrelationAndAncestors(t *testing.T) {
	h := newHarness(t, Options{})
	root := h.put("order/1", "placed")
	r1 := h.append(messages.Append{Coordinate: coord("stock/1"), CorrelationID: root.EventID, CausationID: root.EventID, Payload: []byte("reserved")})
	h.put("unrelated", "noise")
	r2 := h.append(messages.Append{Coordinate: coord("mail/1"), CorrelationID: root.EventID, CausationID: r1.EventID, Payload: []byte("mailed")})
	r3 := h.append(messages.Append{Coordinate: coord("order/1"), CorrelationID: root.EventID, CausationID: r2.EventID, Payload: []byte("confirmed")})
	require.NoError(t, h.e.Commit())

	saga, err := h.e.ByCorrelation(root.EventID)
	require.NoError(t, err)
	require.Equal(t, []string{"placed", "reserved", "mailed", "confirmed"}, payloads(saga))

	anc, err := h.e.Ancestors(r3.EventID, 0)
	require.NoError(t, err)
	require.Equal(t, []string{"mailed", "reserved", "placed"}, payloads(anc))
	anc, err = h.e.Ancestors(r3.EventID, 2)
	require.NoError(t, err)
	require.Equal(t, []string{"mailed", "reserved"}, payloads(anc))
	anc, err = h.e.Ancestors(root.EventID, 0)
	require.NoError(t, err)
	require.Empty(t, anc)
	_, err = h.e.Ancestors(messages.NewID(), 0)
	require.ErrorIs(t, err, messages.ErrNotFound)

	h.reopen()
	saga2, err := h.e.ByCorrelation(root.EventID)
	require.NoError(t, err)
	require.Equal(t, saga, saga2)
	none, err := h.e.ByCorrelation(messages.NewID())
	require.NoError(t, err)
	require.Empty(t, none)
}

func TestAncestorsStopsOnACycle(t *testing.T) {
	h := newHarness(t, Options{})
	ka, kb := messages.NewID(), messages.NewID()
	// Forged absolute causations: a is caused by b's (predictable) id and b by a's.
	a := h.append(messages.Append{Coordinate: coord("x"), IdempotencyKey: ka, CausationID: messages.IDFromKey(kb)})
	b := h.append(messages.Append{Coordinate: coord("y"), IdempotencyKey: kb, CausationID: a.EventID})
	require.NoError(t, h.e.Commit())
	anc, err := h.e.Ancestors(b.EventID, 0)
	require.NoError(t, err)
	require.Len(t, anc, 1, "the walk stops where it would revisit b")
	require.Equal(t, a.EventID, anc[0].ID)
}

func TestAncestorsWithUnknownCauseEndsTheWalk(t *testing.T) {
	h := newHarness(t, Options{})
	r := h.append(messages.Append{Coordinate: coord("x"), CausationID: messages.NewID()})
	require.NoError(t, h.e.Commit())
	anc, err := h.e.Ancestors(r.EventID, 0)
	require.NoError(t, err)
	require.Empty(t, anc)
}

// A frame rewritten with a valid checksum but a changed payload passes the
// read path's checks; Verify's recomputed hash catches it.
func TestVerifyDetectsTamperingBehindAValidChecksum(t *testing.T) {
	h := newHarness(t, Options{})
	h.put("e", "one")
	r := h.put("e", "two")
	h.put("e", "three")
	require.NoError(t, h.e.Close())
	path := h.dir + "/" + format.SegmentName(r.Segment)
	data, err := h.mem.ReadFile(path)
	require.NoError(t, err)
	frame := data[r.Offset:]
	n := int(binary.LittleEndian.Uint32(frame) & format.MaxFrameBytes)
	body := frame[format.FrameHeaderSize : format.FrameHeaderSize+n]
	i := len(body) - format.HashFieldBytes - 1 // last payload byte: "two" -> "twx"
	require.Equal(t, byte('o'), body[i])
	body[i] = 'x'
	crc := crc32.Update(0, format.Castagnoli, frame[:4])
	binary.LittleEndian.PutUint32(frame[4:], crc32.Update(crc, format.Castagnoli, body))
	require.NoError(t, h.mem.WriteFile(path, data))
	h.open()

	ev, err := h.e.Get(r.EventID)
	require.NoError(t, err)
	require.Equal(t, "twx", string(ev.Payload))
	_, err = h.e.Verify()
	var ce *CorruptionError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, r.Segment, ce.Segment)
	require.Equal(t, r.Offset, ce.Offset)
	require.Contains(t, ce.Reason, "hash mismatch")
}

func TestGetOfADamagedFrameIsAnError(t *testing.T) {
	h := newHarness(t, Options{})
	r := h.put("e", "payload")
	require.NoError(t, h.e.Close())
	path := h.dir + "/" + format.SegmentName(r.Segment)
	data, err := h.mem.ReadFile(path)
	require.NoError(t, err)
	data[r.Offset+20] ^= 0x10 // inside the frame; the footer still covers the segment
	require.NoError(t, h.mem.WriteFile(path, data))
	h.open()
	require.Equal(t, 1, h.e.Stats().Recovery.FooterSegments)
	_, err = h.e.Get(r.EventID)
	require.ErrorIs(t, err, ErrCorrupt)
	_, err = h.e.Verify()
	require.ErrorIs(t, err, messages.ErrCorrupt)
}

func TestStatsCountWhatIsThere(t *testing.T) {
	h := newHarness(t, Options{})
	base := h.e.WriterStats().Fsyncs
	h.put("a", "1")
	h.put("b", "2")
	h.batch(items("a", "3", "4"))
	s := h.e.WriterStats()
	s.Fsyncs -= base
	require.Equal(t, 4, s.Events)
	require.Equal(t, 2, s.Streams)
	require.Equal(t, uint64(4), s.NextSequence)
	require.Equal(t, uint64(3), s.Commits)
	require.Equal(t, uint64(3), s.Fsyncs, "one fsync per commit")
	require.False(t, s.Failed)
}

// Roots are found through the id table; a reaction appended before its root
// (possible with key-derived ids) must still be chained with it.
func TestByCorrelationWhenTheRootComesLast(t *testing.T) {
	h := newHarness(t, Options{})
	k := messages.NewID()
	rootID := messages.IDFromKey(k)
	early := h.append(messages.Append{Coordinate: coord("a"), CorrelationID: rootID, Payload: []byte("early")})
	root := h.append(messages.Append{Coordinate: coord("b"), IdempotencyKey: k, Payload: []byte("root")})
	late := h.append(messages.Append{Coordinate: coord("c"), CorrelationID: rootID, Payload: []byte("late")})
	require.NoError(t, h.e.Commit())
	require.Equal(t, rootID, root.EventID)
	for _, reopen := range []bool{false, true} {
		if reopen {
			h.reopen()
		}
		evs, err := h.e.ByCorrelation(rootID)
		require.NoError(t, err)
		require.Equal(t, []string{"early", "root", "late"}, payloads(evs))
		require.Equal(t, []messages.ID{early.EventID, root.EventID, late.EventID}, []messages.ID{evs[0].ID, evs[1].ID, evs[2].ID})
		alone, err := h.e.ByCorrelation(early.EventID)
		require.NoError(t, err)
		require.Empty(t, alone, "early is not a root of its own correlation")
	}
}
