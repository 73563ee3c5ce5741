package format

import "slices"

// MaxRecordBytes bounds the encoded size of one footer record (an event
// record with every field at its widest is 147 bytes).
const MaxRecordBytes = 160

// Reserve makes room for n more bytes of records, so that the records added
// next do not grow the builder's buffer step by step, copying it each time.
func (f *FooterBuilder) Reserve(n int) { f.recs = slices.Grow(f.recs, n) }

// Spare returns how many bytes of records fit before the buffer must grow.
func (f *FooterBuilder) Spare() int { return cap(f.recs) - len(f.recs) }

// RecordBytes returns the size of the records added so far.
func (f *FooterBuilder) RecordBytes() int { return len(f.recs) }
