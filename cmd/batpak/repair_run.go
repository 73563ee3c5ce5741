package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/batpak-go/batpak/storage"
)

// repairReport is what a repair found and did (repair.json in the side
// directory holds it).
type repairReport struct {
	// Store is the store directory.
	Store string `json:"store"`
	// Time is when the repair started (UTC, RFC 3339).
	Time string `json:"time"`
	// DryRun is true when nothing was changed.
	DryRun bool `json:"dry_run"`
	// Found lists the damage found: by the engine's recovery (torn tails,
	// corruption it repaired) and by reading every event.
	Found []string `json:"found"`
	// Actions are the changes to the store's files, in order.
	Actions []repairAction `json:"actions"`
	// EventsBefore is the number of events the store held, when the first
	// open could tell it (it changed nothing); nil otherwise.
	EventsBefore *int `json:"events_before,omitempty"`
	// EventsAfter and StreamsAfter are what the repaired store holds and
	// verifies.
	EventsAfter  int `json:"events_after"`
	StreamsAfter int `json:"streams_after"`
	// SideDir is the directory holding the bytes cut (relative to the
	// store); empty when nothing was saved.
	SideDir string `json:"side_dir,omitempty"`
}

// maxRepairRounds bounds the open-read-cut rounds of one repair.
const maxRepairRounds = 16

// repairRounds opens the store through fsys until it opens, reads and
// verifies clean. Each round opens with storage.Options.Repair (the
// engine cuts damage its recovery meets: torn tails, corrupt frames in
// unsealed segments, bad headers); then reads every event in log order
// (which checks each frame's checksum, also in sealed segments whose
// footers recovery trusted) and verifies every hash chain. Damage found
// there is cut by the next round's open, with Options.CutAfter at the
// damaged frame: the log then ends just before it.
func repairRounds(dir string, fsys *repairFS, rep *repairReport) error {
	var cut *storage.Position
	for round := 0; round < maxRepairRounds; round++ {
		e, err := storage.Open(dir, storage.Options{FS: fsys, Repair: true, CutAfter: cut})
		if err != nil {
			return err
		}
		st := e.Stats()
		rep.Found = append(rep.Found, recoveryFindings(&st.Recovery)...)
		if round == 0 && len(fsys.t.actions) == 0 {
			n := st.Events
			rep.EventsBefore = &n
		}
		ce, vr, err := findDamage(e)
		if cerr := e.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		if ce == nil {
			rep.EventsAfter, rep.StreamsAfter = vr.Events, vr.Streams
			return nil
		}
		rep.Found = append(rep.Found, fmt.Sprintf("segment %d at offset %d: %s (found reading every event)", ce.Segment, ce.Offset, ce.Reason))
		cut = &storage.Position{Segment: ce.Segment, Offset: ce.Offset}
	}
	return fmt.Errorf("repair: the store is still damaged after %d rounds of cuts", maxRepairRounds)
}

// findDamage reads every event in log order, then verifies every hash
// chain, and returns the first damage met (the earliest in the log, for
// damage a read meets).
func findDamage(e *storage.Engine) (*storage.CorruptionError, storage.VerifyReport, error) {
	var ce *storage.CorruptionError
	for _, err := range e.Read(storage.Filter{}) {
		if errors.As(err, &ce) {
			return ce, storage.VerifyReport{}, nil
		}
		if err != nil {
			return nil, storage.VerifyReport{}, err
		}
	}
	vr, err := e.Verify()
	if errors.As(err, &ce) {
		return ce, vr, nil
	}
	return nil, vr, err
}

// recoveryFindings lists what the engine's recovery found and did.
func recoveryFindings(r *storage.RecoveryReport) []string {
	var out []string
	for _, s := range r.TornTails {
		out = append(out, "torn tail (a write never made durable): "+s)
	}
	for _, s := range r.Repaired {
		out = append(out, "corruption met by recovery: "+s)
	}
	for _, id := range r.RemovedEmpty {
		out = append(out, fmt.Sprintf("segment %d held no complete header (a crash while creating it): removed", id))
	}
	if r.DiscardedBatches > 0 {
		out = append(out, fmt.Sprintf("%d atomic batches without their COMMIT (%d events) discarded: their frames stay in the segment, ignored", r.DiscardedBatches, r.DiscardedEvents))
	}
	return out
}

// errEmptyStore: the directory holds a LOCK file and no segment, as a
// store opened and closed without an event is left (a Close removes an
// empty segment; a running writer always has one).
var errEmptyStore = errors.New("an empty store")

// storeFiles returns the regular files of the store directory, by path,
// as origins (what the tracker watches). A directory without a segment
// file is not a store, unless it has a LOCK file (errEmptyStore).
func storeFiles(dir string) (map[string]*origin, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("repair: %s is not a directory", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	files := map[string]*origin{}
	segments := 0
	for _, en := range entries {
		if !en.Type().IsRegular() {
			continue
		}
		info, err := en.Info()
		if err != nil {
			return nil, err
		}
		files[filepath.Join(dir, en.Name())] = &origin{name: en.Name(), orig: info.Size()}
		if isSegment(en.Name()) {
			segments++
		}
	}
	if segments == 0 && files[filepath.Join(dir, "LOCK")] != nil {
		return nil, errEmptyStore
	}
	if segments == 0 {
		return nil, fmt.Errorf("repair: %s is not a batpak store (no segment files)", dir)
	}
	return files, nil
}
