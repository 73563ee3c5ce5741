package partition

import (
	"errors"
	"fmt"
	"strings"

	"github.com/batpak-go/batpak/messages"
)

// Sentinels; test with errors.Is. Each has a detail type found with
// errors.As.
var (
	// ErrPartitionUnavailable: the partition's owner is not a live member
	// of the cluster (stopped, not started yet, or claimed by two members),
	// or it could not take the request (no such partition there, its store
	// closed or stopped for good). Other partitions keep working. Detail:
	// *UnavailableError.
	ErrPartitionUnavailable = errors.New("batpak partition: partition unavailable")
	// ErrCrossPartitionBatch: the items of a batch map to more than one
	// partition; a batch is atomic within one partition only. It also
	// matches messages.ErrInvalidBatch. Detail: *CrossPartitionError.
	ErrCrossPartitionBatch = errors.New("batpak partition: batch spans partitions")
	// ErrPartitionCount: a partition directory was created for another
	// number of partitions than the configuration says. Detail:
	// *MetadataError.
	ErrPartitionCount = errors.New("batpak partition: partition count differs from the directory's")
	// ErrPartitionMismatch: a partition directory is not the configured
	// partition (another index or hash, an unknown format, metadata missing
	// beside a store, or unreadable metadata). Detail: *MetadataError.
	ErrPartitionMismatch = errors.New("batpak partition: directory does not match the partition")
	// ErrPartitionMissing: a partition this member owns has no directory
	// in Config.Dir, and Config.Create is not set. Detail: *MetadataError.
	ErrPartitionMissing = errors.New("batpak partition: partition directory missing")
	// ErrMemberNameTaken: another live member of the cluster already
	// announces this member's name.
	ErrMemberNameTaken = errors.New("batpak partition: member name taken")
)

// UnavailableError is the detail of ErrPartitionUnavailable: which
// partition, the member configured to own it, and why. It matches
// ErrPartitionUnavailable and, through Unwrap, its cause when there is one
// (messages.ErrOutcomeUnknown for an append whose owner left while it was in
// flight, messages.ErrClosed for an owner that is closing, ...).
type UnavailableError struct {
	// Partition is the partition's index.
	Partition int
	// Owner is the name of the member configured to own it.
	Owner string
	// Reason says why it is unavailable.
	Reason string
	// Err is the underlying error, or nil.
	Err error
}

// Error implements error.
func (e *UnavailableError) Error() string {
	s := fmt.Sprintf("batpak partition: partition %d (owner %q) unavailable: %s", e.Partition, e.Owner, e.Reason)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is matches ErrPartitionUnavailable.
func (e *UnavailableError) Is(target error) bool { return target == ErrPartitionUnavailable }

// Unwrap returns the cause, or nil.
func (e *UnavailableError) Unwrap() error { return e.Err }

// CrossPartitionError is the detail of ErrCrossPartitionBatch: the
// partitions the batch's items map to, in increasing order, and each item's
// partition.
type CrossPartitionError struct {
	// Partitions are the distinct partitions of the items, sorted.
	Partitions []int
	// Items[i] is item i's partition.
	Items []int
}

// Error implements error.
func (e *CrossPartitionError) Error() string {
	ps := make([]string, len(e.Partitions))
	for i, p := range e.Partitions {
		ps[i] = fmt.Sprint(p)
	}
	return "batpak partition: a batch is atomic within one partition; its items map to partitions " +
		strings.Join(ps, ", ") + " (nothing was written)"
}

// Is matches ErrCrossPartitionBatch and messages.ErrInvalidBatch.
func (e *CrossPartitionError) Is(target error) bool {
	return target == ErrCrossPartitionBatch || target == messages.ErrInvalidBatch
}

// MetadataError is the detail of ErrPartitionCount and
// ErrPartitionMismatch: a partition directory whose metadata does not match
// the configuration.
type MetadataError struct {
	// Dir is the partition directory.
	Dir string
	// Want is what the configuration says.
	Want Metadata
	// Got is what the directory records; nil when it has no readable
	// metadata.
	Got *Metadata
	// Reason says what differs.
	Reason string
	// Missing is set when the directory does not exist at all
	// (ErrPartitionMissing).
	Missing bool
}

// Error implements error.
func (e *MetadataError) Error() string {
	return fmt.Sprintf("batpak partition: %s: %s", e.Dir, e.Reason)
}

// Is matches ErrPartitionCount when the recorded partition count differs,
// else ErrPartitionMismatch.
func (e *MetadataError) Is(target error) bool {
	if e.Missing {
		return target == ErrPartitionMissing
	}
	count := e.Got != nil && e.Got.Partitions != e.Want.Partitions
	return (count && target == ErrPartitionCount) || (!count && target == ErrPartitionMismatch)
}
