package storage

import (
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/fs"
	"github.com/stretchr/testify/require"
)

// syncAsync runs p.Sync on another goroutine and returns its result channel.
func syncAsync(p *Pending) <-chan error {
	done := make(chan error, 1)
	go func() { done <- p.Sync() }()
	return done
}

func TestPipelinedCommit(t *testing.T) {
	h := newHarness(t, Options{SegmentSize: 4096})
	key := messages.NewID()
	a1 := h.append(messages.Append{Coordinate: coord("e"), Payload: []byte("a1"), IdempotencyKey: key})
	p1, err := h.e.Write()
	require.NoError(t, err)
	synced1 := syncAsync(p1)

	// While group 1 syncs, group 2 is staged and written; it chains to group 1.
	_, err = h.e.Append(&messages.Append{Coordinate: coord("e"), Kind: testKind, Expected: messages.NoStream()})
	require.ErrorIs(t, err, ErrUndecided, "a conflict with a written, unpublished group waits for it")
	_, err = h.e.Append(&messages.Append{Coordinate: coord("e"), Kind: testKind, Payload: []byte("a1"), IdempotencyKey: key})
	require.ErrorIs(t, err, ErrUndecided, "a replay of a written, unpublished group waits for it")
	a2 := h.append(messages.Append{Coordinate: coord("e"), Payload: make([]byte, 3000), Expected: messages.Exactly(1)})
	a3 := h.append(messages.Append{Coordinate: coord("e"), Payload: make([]byte, 3000)}) // rotates
	require.Equal(t, uint64(2), a2.Version)
	p2, err := h.e.Write()
	require.NoError(t, err)
	require.Equal(t, 2, p2.Events())
	require.Equal(t, 2, h.e.WriterStats().Pending)

	_, err = h.e.Get(a1.EventID)
	require.ErrorIs(t, err, messages.ErrNotFound, "nothing is visible before Publish")
	require.ErrorIs(t, h.e.Publish(p2), messages.ErrInvalidArgument, "groups publish in write order")
	require.ErrorIs(t, h.e.Commit(), messages.ErrInvalidArgument, "Commit does not skip written groups")

	require.NoError(t, <-synced1)
	require.NoError(t, h.e.Publish(p1))
	require.Equal(t, 1, h.e.Stats().Events)
	require.NoError(t, <-syncAsync(p2))
	require.NoError(t, h.e.Publish(p2))

	evs, err := h.e.Stream(coord("e"), 1)
	require.NoError(t, err)
	require.Equal(t, []messages.ID{a1.EventID, a2.EventID, a3.EventID}, []messages.ID{evs[0].ID, evs[1].ID, evs[2].ID})
	require.Equal(t, evs[0].Hash, evs[1].PrevHash)
	require.Equal(t, evs[1].Hash, evs[2].PrevHash)
	h.reopen()
	_, err = h.e.Verify()
	require.NoError(t, err)
	require.Equal(t, 3, h.e.Stats().Events)
}

func TestRollbackKeepsWrittenGroups(t *testing.T) {
	h := newHarness(t, Options{})
	a1 := h.append(messages.Append{Coordinate: coord("e"), Payload: []byte("written")})
	p1, err := h.e.Write()
	require.NoError(t, err)
	h.append(messages.Append{Coordinate: coord("e"), Payload: []byte("dropped")})
	h.e.Rollback()
	a2 := h.append(messages.Append{Coordinate: coord("e"), Payload: []byte("next")})
	require.Equal(t, uint64(2), a2.Version, "still chained to the written group")
	require.Equal(t, a1.Sequence+1, a2.Sequence)
	require.NoError(t, p1.Sync())
	require.NoError(t, h.e.Publish(p1))
	require.NoError(t, h.e.Commit())
	evs, err := h.e.Stream(coord("e"), 1)
	require.NoError(t, err)
	require.Equal(t, []string{"written", "next"}, payloads(evs))
	_, err = h.e.Verify()
	require.NoError(t, err)
}

func TestPipelinedSyncFailurePoisonsLaterGroups(t *testing.T) {
	mem := fs.NewMem()
	faulty := fs.NewFaulty(mem)
	e, err := Open("/data", Options{FS: faulty})
	require.NoError(t, err)
	_, err = e.Append(&messages.Append{Coordinate: coord("e"), Kind: testKind})
	require.NoError(t, err)
	p1, err := e.Write()
	require.NoError(t, err)
	_, err = e.Append(&messages.Append{Coordinate: coord("e"), Kind: testKind})
	require.NoError(t, err)
	p2, err := e.Write()
	require.NoError(t, err)
	faulty.FailAt(1, nil) // p1's fsync
	require.ErrorIs(t, <-syncAsync(p1), messages.ErrSyncFailed)
	require.NoError(t, <-syncAsync(p2))
	require.ErrorIs(t, e.Publish(p1), messages.ErrSyncFailed)
	require.ErrorIs(t, e.Publish(p2), messages.ErrSyncFailed, "a later group is not published after a failed fsync")
	require.Zero(t, e.Stats().Events)
	require.Error(t, e.Close())
}

func TestCloseFinishesWrittenGroups(t *testing.T) {
	h := newHarness(t, Options{})
	r := h.append(messages.Append{Coordinate: coord("e"), Payload: []byte("x")})
	_, err := h.e.Write()
	require.NoError(t, err)
	h.reopen()
	ev, err := h.e.Get(r.EventID)
	require.NoError(t, err)
	require.Equal(t, "x", string(ev.Payload))
}

func TestCommitEventsReturnsTheGroup(t *testing.T) {
	h := newHarness(t, Options{})
	key := messages.NewID()
	first := h.append(messages.Append{Coordinate: coord("e"), Payload: []byte("one"), IdempotencyKey: key})
	require.NoError(t, h.e.Commit())
	h.append(messages.Append{Coordinate: coord("e"), Payload: []byte("one"), IdempotencyKey: key}) // a replay: no new event
	r := h.append(messages.Append{Coordinate: coord("e"), Payload: []byte("two")})
	rs, err := h.e.AppendBatch(&messages.AppendBatch{Items: items("f", "three", "four")})
	require.NoError(t, err)
	evs, err := h.e.CommitEvents()
	require.NoError(t, err)
	require.Equal(t, []string{"two", "three", "four"}, payloads(evs))
	require.Equal(t, r.EventID, evs[0].ID)
	require.Equal(t, rs[1].Sequence, evs[2].Sequence)
	require.Equal(t, first.Hash, evs[0].PrevHash)
	require.False(t, evs[1].BatchID.IsZero())
	stored := mustGet(t, h.e, evs[2].ID)
	require.Equal(t, stored, evs[2], "what subscribers get is what readers get")
	none, err := h.e.CommitEvents()
	require.NoError(t, err)
	require.Empty(t, none)
}
