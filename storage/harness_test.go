package storage

import (
	"fmt"
	"testing"
	"time"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
	"github.com/batpak-go/batpak/storage/fs"
	"github.com/stretchr/testify/require"
)

// harness is an engine on an in-memory file system, with a controllable
// clock, for behavioural tests.
type harness struct {
	t    *testing.T
	mem  *fs.Mem
	dir  string
	opts Options
	e    *Engine
	now  time.Time
}

func newHarness(t *testing.T, opts Options) *harness {
	t.Helper()
	h := &harness{t: t, mem: fs.NewMem(), dir: "/data", now: time.UnixMilli(1_700_000_000_000)}
	opts.FS = h.mem
	if opts.Clock == nil {
		opts.Clock = func() time.Time { return h.now }
	}
	h.opts = opts
	h.open()
	t.Cleanup(func() {
		if h.e != nil && !h.e.closed {
			h.e.Close()
		}
	})
	return h
}

func (h *harness) open() {
	h.t.Helper()
	e, err := Open(h.dir, h.opts)
	require.NoError(h.t, err)
	h.e = e
}

// reopen closes cleanly (footers) and opens again.
func (h *harness) reopen() {
	h.t.Helper()
	require.NoError(h.t, h.e.Close())
	h.open()
}

// crashReopen drops the engine without Close (no footer on the active
// segment) and opens the same files again, as after a process crash.
func (h *harness) crashReopen() {
	h.t.Helper()
	h.mem = h.mem.Clone()
	h.opts.FS = h.mem
	h.open()
}

// stripFooters truncates every sealed segment to its data end, so the next
// open must scan frames.
func (h *harness) stripFooters() {
	h.t.Helper()
	names, err := h.mem.ReadDir(h.dir)
	require.NoError(h.t, err)
	for _, n := range names {
		if _, ok := format.ParseSegmentName(n); !ok {
			continue
		}
		path := h.dir + "/" + n
		data, err := h.mem.ReadFile(path)
		require.NoError(h.t, err)
		if len(data) < format.HeaderSize+format.TrailerSize || string(data[len(data)-8:]) != string(format.TrailerMagic[:]) {
			continue
		}
		end := int(uint64le(data[len(data)-16:]))
		require.NoError(h.t, h.mem.WriteFile(path, data[:end]))
	}
}

func uint64le(b []byte) uint64 {
	var v uint64
	for i := 7; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

var testKind = messages.MustKind(1, 1)

func coord(entity string) messages.Coordinate {
	return messages.Coordinate{Entity: entity, Scope: "test"}
}

func (h *harness) append(a messages.Append) messages.Receipt {
	h.t.Helper()
	if a.Kind == 0 {
		a.Kind = testKind
	}
	r, err := h.e.Append(&a)
	require.NoError(h.t, err)
	return r
}

// put appends one event to entity with payload p and commits it.
func (h *harness) put(entity, p string) messages.Receipt {
	h.t.Helper()
	r := h.append(messages.Append{Coordinate: coord(entity), Payload: []byte(p)})
	require.NoError(h.t, h.e.Commit())
	return r
}

func payloads(evs []messages.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = string(ev.Payload)
	}
	return out
}

func numbered(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return out
}
