package storage

import (
	"fmt"
	"slices"
	"time"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
	"github.com/batpak-go/batpak/storage/fs"
)

// SyncMode says when Commit makes staged events durable.
type SyncMode uint8

const (
	// SyncEveryCommit fsyncs once per Commit, before anything staged becomes
	// visible: a committed event is on disk. The default.
	SyncEveryCommit SyncMode = iota
	// SyncPeriodic fsyncs on a Commit once SyncEveryEvents events or
	// SyncInterval have passed since the last fsync (batpak's cadence), and
	// on Sync and Close. Commit publishes before the fsync, so an event can
	// be visible and acknowledged but not yet durable: an OS crash or power
	// loss can lose the events of the last interval.
	SyncPeriodic
	// SyncNone never fsyncs (not even on Close). For tests and benchmarks.
	SyncNone
)

// String names the mode.
func (m SyncMode) String() string {
	switch m {
	case SyncEveryCommit:
		return "commit"
	case SyncPeriodic:
		return "periodic"
	case SyncNone:
		return "none"
	}
	return fmt.Sprintf("SyncMode(%d)", uint8(m))
}

// DefaultSyncInterval is Options.SyncInterval when it is zero.
const DefaultSyncInterval = 100 * time.Millisecond

// Limits on Options fields.
const (
	// MaxFrameBytes is the largest frame body the format can describe.
	MaxFrameBytes = format.MaxFrameBytes
	// MaxSegmentSize is the largest Options.SegmentSize and
	// Options.Preallocate: 1 GiB.
	MaxSegmentSize = format.MaxSegmentSize
	minSegmentSize = 4 << 10
	// MaxPayloadLimit is the largest Options.MaxPayloadBytes: 64 MiB.
	MaxPayloadLimit = 64 << 20
	// MaxMetadataLimit is the largest Options.MaxMetadataBytes: 64 KiB.
	MaxMetadataLimit = 64 << 10
)

// Options configure an Engine. The zero value works: every field has a
// documented default that applies when the field is zero.
type Options struct {
	// FS is the file system. Default: the operating system (fs.OS()).
	FS fs.FS
	// SegmentSize is the size at which the active segment is sealed and a
	// new one started (a segment holds at least one frame, so one large
	// event may exceed it). Default 64 MiB; 4 KiB to 1 GiB.
	SegmentSize int64
	// MaxPayloadBytes is the largest event payload. Default 4 MiB; at most
	// 64 MiB.
	MaxPayloadBytes int
	// MaxBatchItems is the largest number of events in one AppendBatch.
	// Default 4096.
	MaxBatchItems int
	// MaxBatchBytes is the largest sum of payload sizes in one AppendBatch.
	// Default 16 MiB.
	MaxBatchBytes int
	// MaxMetadataBytes is the largest metadata of one event (its keys and
	// values together, a gate bypass record included); more is refused with
	// messages.ErrInvalidArgument. Default 4 KiB; at most MaxMetadataLimit.
	MaxMetadataBytes int
	// Gates is the policy the engine runs before it stages an append or a
	// batch (see GateSet); the engine keeps its own copy of the list.
	// Default: none (no cost).
	Gates GateSet
	// SyncMode says when commits are fsynced. Default SyncEveryCommit.
	SyncMode SyncMode
	// SyncEveryEvents is the event count that triggers an fsync in
	// SyncPeriodic mode. Default 1000.
	SyncEveryEvents int
	// SyncInterval is the time that triggers an fsync in SyncPeriodic mode.
	// Default 100 ms.
	SyncInterval time.Duration
	// Clock returns the current time; the wall clock of events comes from
	// it. Default time.Now. Tests inject their own.
	Clock func() time.Time
	// Repair makes Open recover to the last good frame when it finds a bad
	// frame in the middle of a segment (point-in-time recovery): the segment
	// is truncated there, later segments are renamed to *.seg.dropped, and
	// Stats().Recovery reports what was dropped. Default false: Open fails
	// with a *CorruptionError and changes nothing.
	Repair bool
	// Preallocate, when positive, has groups written over zeros already on
	// the disk, so that most fdatasyncs commit no file-size change (faster
	// on ext4): the next segment's file is zero-filled while the active one
	// fills (see ARCHITECTURE.md), and a segment without such a file (the
	// first of a session) is extended with zeros this many bytes at a time
	// ahead of the data. Default 0: the segment grows with each write. A
	// sealed segment keeps no zeros.
	Preallocate int64
	// CutAfter, when set, makes Open first cut the log after this position:
	// the segment it names is truncated there and later segments are
	// removed. The writer actor sets it to the Published() position of an
	// engine it abandoned in a crash, so what was written but never
	// acknowledged is gone. Default nil: nothing is cut.
	CutAfter *Position
}

func (o Options) withDefaults() Options {
	if o.FS == nil {
		o.FS = fs.OS()
	}
	if o.SegmentSize == 0 {
		o.SegmentSize = 64 << 20
	}
	if o.MaxPayloadBytes == 0 {
		o.MaxPayloadBytes = 4 << 20
	}
	if o.MaxBatchItems == 0 {
		o.MaxBatchItems = 4096
	}
	if o.MaxBatchBytes == 0 {
		o.MaxBatchBytes = 16 << 20
	}
	if o.MaxMetadataBytes == 0 {
		o.MaxMetadataBytes = 4 << 10
	}
	if len(o.Gates.Gates) == 0 {
		o.Gates.Gates = nil // the test that skips gates is a nil check
	} else {
		o.Gates.Gates = slices.Clone(o.Gates.Gates)
	}
	if o.SyncEveryEvents == 0 {
		o.SyncEveryEvents = 1000
	}
	if o.SyncInterval == 0 {
		o.SyncInterval = DefaultSyncInterval
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	return o
}

// Validate reports the first out-of-range field (after defaults apply),
// wrapping messages.ErrInvalidArgument.
func (o Options) Validate() error {
	o = o.withDefaults()
	bad := func(f string, args ...any) error {
		return fmt.Errorf("storage: options: %w: "+f, append([]any{messages.ErrInvalidArgument}, args...)...)
	}
	switch {
	case o.SegmentSize < minSegmentSize || o.SegmentSize > MaxSegmentSize:
		return bad("SegmentSize %d not in [%d, %d]", o.SegmentSize, minSegmentSize, MaxSegmentSize)
	case o.MaxPayloadBytes < 0 || o.MaxPayloadBytes > MaxPayloadLimit:
		return bad("MaxPayloadBytes %d not in [1, %d]", o.MaxPayloadBytes, MaxPayloadLimit)
	case o.MaxBatchItems < 0:
		return bad("MaxBatchItems %d is negative", o.MaxBatchItems)
	case o.MaxBatchBytes < 0:
		return bad("MaxBatchBytes %d is negative", o.MaxBatchBytes)
	case o.MaxMetadataBytes < 0 || o.MaxMetadataBytes > MaxMetadataLimit:
		return bad("MaxMetadataBytes %d not in [1, %d]", o.MaxMetadataBytes, MaxMetadataLimit)
	case o.SyncMode > SyncNone:
		return bad("unknown SyncMode %d", o.SyncMode)
	case o.Preallocate < 0 || o.Preallocate > MaxSegmentSize:
		return bad("Preallocate %d not in [0, %d]", o.Preallocate, MaxSegmentSize)
	case o.SyncEveryEvents < 0 || o.SyncInterval < 0:
		return bad("SyncEveryEvents and SyncInterval must not be negative")
	}
	if err := o.Gates.validate(); err != nil {
		return bad("%v", err)
	}
	return nil
}
