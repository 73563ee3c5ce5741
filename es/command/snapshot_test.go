package command_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/batpak-go/batpak/es/command"
	"github.com/batpak-go/batpak/es/snapshot"
	"github.com/batpak-go/batpak/messages"
)

// deposits opens acct and deposits 1, n-1 times (n events in all).
func deposits(t *testing.T, h *command.Handler[Account, any], n int) {
	t.Helper()
	ctx := ctxT(t)
	_, err := h.Handle(ctx, acct, "open", Open{Owner: "ann"})
	require.NoError(t, err)
	for i := 1; i < n; i++ {
		_, err := h.Handle(ctx, acct, fmt.Sprintf("d%d", i), Deposit{Amount: 1})
		require.NoError(t, err)
	}
}

// TestSnapshotEveryNAndLoadFromIt: with SnapshotEvery 10, 25 events leave
// the snapshot of version 20; a load starts there and equals the fold of
// the whole log.
func TestSnapshotEveryNAndLoadFromIt(t *testing.T) {
	s := spawnStore(t)
	snaps := newMemSnapshots()
	d := decider(t)
	h, err := command.New(s, d, command.Options{Snapshots: snaps, SnapshotEvery: 10})
	require.NoError(t, err)
	deposits(t, h, 25)
	require.Equal(t, uint64(2), h.SnapshotsSaved())
	sn, ok, err := snaps.Latest(acct, "account/v1")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, uint64(20), sn.Version)
	ev, err := s.Get(messages.IDFromKey(messages.KeyOf("d19", "0")))
	require.NoError(t, err)
	require.Equal(t, ev.Hash, sn.EventHash)

	st, err := h.Load(ctxT(t), acct)
	require.NoError(t, err)
	require.Equal(t, uint64(20), st.FromSnapshot)
	require.Equal(t, uint64(25), st.Version)
	require.Equal(t, replayAll(t, s, d.Registry, acct), st.Value)
	require.Equal(t, uint64(0), h.SnapshotsIgnored())
}

// TestBadSnapshotsAreIgnored: a snapshot that does not match the log
// (stale hash, version beyond the stream, undecodable data, another
// entity's, version 0) or a failing Latest is ignored and reported; the
// events rebuild the state, and the snapshot's (wrong) state never shows.
func TestBadSnapshotsAreIgnored(t *testing.T) {
	s := spawnStore(t)
	d := decider(t)
	plain, err := command.New(s, d, command.Options{})
	require.NoError(t, err)
	deposits(t, plain, 12)
	want := replayAll(t, s, d.Registry, acct)
	ev, err := s.Get(messages.IDFromKey(messages.KeyOf("d9", "0"))) // version 10
	require.NoError(t, err)
	lie, err := msgpack.Marshal(Account{Open: true, Owner: "mallory", Balance: 1 << 40})
	require.NoError(t, err)
	good := command.Snapshot{Coordinate: acct, Type: "account/v1", Version: 10, EventHash: ev.Hash, Data: lie}
	cases := []struct {
		name   string
		edit   func(*command.Snapshot)
		load   error
		reason string
	}{
		{name: "stale hash", edit: func(sn *command.Snapshot) { sn.EventHash[0] ^= 1 }, reason: "event hash differs"},
		{name: "beyond the stream", edit: func(sn *command.Snapshot) { sn.Version = 13 }, reason: "version beyond the stream"},
		{name: "undecodable", edit: func(sn *command.Snapshot) { sn.Data = []byte{0xc1} }, reason: "data does not decode"},
		{name: "another entity's", edit: func(sn *command.Snapshot) { sn.Coordinate.Entity = "account-9" }, reason: "snapshot is of"},
		{name: "version 0", edit: func(sn *command.Snapshot) { sn.Version = 0 }, reason: "version 0"},
		{name: "Latest fails", load: errors.New("disk on fire"), reason: "Latest failed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			snaps := newMemSnapshots()
			sn := good
			if tc.edit != nil {
				tc.edit(&sn)
			}
			snaps.latest[acct.String()+"|account/v1"] = sn
			snaps.failLoad = tc.load
			var got []error
			h, err := command.New(s, d, command.Options{Snapshots: snaps, OnSnapshotError: func(err error) { got = append(got, err) }})
			require.NoError(t, err)
			st, err := h.Load(ctxT(t), acct)
			require.NoError(t, err)
			require.Equal(t, want, st.Value)
			require.Equal(t, uint64(12), st.Version)
			require.Equal(t, uint64(0), st.FromSnapshot)
			require.Equal(t, uint64(1), h.SnapshotsIgnored())
			require.Len(t, got, 1)
			require.ErrorIs(t, got[0], command.ErrSnapshotIgnored)
			var se *command.SnapshotError
			require.ErrorAs(t, got[0], &se)
			require.Contains(t, se.Reason, tc.reason)
			if tc.load != nil {
				require.ErrorIs(t, got[0], tc.load)
			}
		})
	}
	// The unedited snapshot is trusted (it matches the log): its state shows,
	// which is what makes the cases above meaningful.
	snaps := newMemSnapshots()
	snaps.latest[acct.String()+"|account/v1"] = good
	h, err := command.New(s, d, command.Options{Snapshots: snaps})
	require.NoError(t, err)
	st, err := h.Load(ctxT(t), acct)
	require.NoError(t, err)
	require.Equal(t, uint64(10), st.FromSnapshot)
	require.Equal(t, "mallory", st.Value.Owner)
}

// TestSnapshotSaveFailureIsReportedNotFatal: the command's events are
// stored even when its snapshot cannot be saved; the failure is counted
// and reported.
func TestSnapshotSaveFailureIsReportedNotFatal(t *testing.T) {
	s := spawnStore(t)
	snaps := newMemSnapshots()
	snaps.failSave = errors.New("no space")
	var got []error
	h, err := command.New(s, decider(t), command.Options{Snapshots: snaps, SnapshotEvery: 2,
		OnSnapshotError: func(err error) { got = append(got, err) }})
	require.NoError(t, err)
	deposits(t, h, 3)
	require.Equal(t, uint64(1), h.SnapshotSaveFailures())
	require.Len(t, got, 1)
	require.ErrorIs(t, got[0], command.ErrSnapshotSave)
	require.ErrorIs(t, got[0], snaps.failSave)
	st, err := h.Load(ctxT(t), acct)
	require.NoError(t, err)
	require.Equal(t, uint64(3), st.Version)
	// Snapshot without Snapshots configured, or of an empty entity.
	h2, err := command.New(s, decider(t), command.Options{})
	require.NoError(t, err)
	require.ErrorIs(t, h2.Snapshot(st), command.ErrSnapshotSave)
}

// The Handler works with the durable snapshot store (es/snapshot): the
// snapshots it saves survive closing the snapshot store, and a new Handler
// loads from the newest one.
func TestSnapshotsInTheDurableStore(t *testing.T) {
	s := spawnStore(t)
	dir := t.TempDir()
	snaps, err := snapshot.Open(dir, snapshot.Options{})
	require.NoError(t, err)
	d := decider(t)
	h, err := command.New(s, d, command.Options{Snapshots: snaps, SnapshotEvery: 10})
	require.NoError(t, err)
	deposits(t, h, 25)
	require.NoError(t, snaps.Close())

	snaps, err = snapshot.Open(dir, snapshot.Options{})
	require.NoError(t, err)
	defer snaps.Close()
	h, err = command.New(s, d, command.Options{Snapshots: snaps})
	require.NoError(t, err)
	st, err := h.Load(ctxT(t), acct)
	require.NoError(t, err)
	require.Equal(t, uint64(20), st.FromSnapshot)
	require.Equal(t, replayAll(t, s, d.Registry, acct), st.Value)
}
