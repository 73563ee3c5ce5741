package storage

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/fs"
	"github.com/stretchr/testify/require"
)

// TestReadsWhileTheWriterAppends reads forward, backward and by stream
// while the writer appends and rotates 4 KiB segments (mapping each one it
// seals): every read is a consistent prefix of the log, in order, without
// duplicates or gaps, each event whole.
func TestReadsWhileTheWriterAppends(t *testing.T) {
	for _, name := range []string{"mem", "os"} {
		t.Run(name, func(t *testing.T) {
			var fsys fs.FS = fs.NewMem()
			dir := "/data"
			if name == "os" {
				fsys, dir = fs.OS(), filepath.Join(t.TempDir(), "data")
			}
			e, err := Open(dir, Options{FS: fsys, SegmentSize: 4 << 10, SyncMode: SyncNone})
			require.NoError(t, err)
			defer e.Close()
			const entities, total = 4, 1500
			payload := func(seq uint64) []byte { return []byte(fmt.Sprintf("event %d %s", seq, make([]byte, seq%97))) }
			check := func(ev messages.Event) error {
				if want := payload(ev.Sequence); string(ev.Payload) != string(want) {
					return fmt.Errorf("seq %d: payload %q", ev.Sequence, ev.Payload)
				}
				if want := fmt.Sprintf("e%d", ev.Sequence%entities); ev.Coordinate.Entity != want {
					return fmt.Errorf("seq %d: entity %s", ev.Sequence, ev.Coordinate.Entity)
				}
				if ev.Version != ev.Sequence/entities+1 {
					return fmt.Errorf("seq %d: version %d", ev.Sequence, ev.Version)
				}
				return nil
			}
			done := make(chan struct{})
			errs := make(chan error, 16)
			var wg sync.WaitGroup
			reader := func(read func() error) {
				defer wg.Done()
				for {
					select {
					case <-done:
						return
					default:
					}
					if err := read(); err != nil {
						errs <- err
						return
					}
				}
			}
			forward := func() error {
				next := uint64(0)
				for ev, err := range e.Read(Filter{}) {
					if err != nil {
						return err
					}
					if ev.Sequence != next {
						return fmt.Errorf("forward: seq %d after %d events", ev.Sequence, next)
					}
					if err := check(ev); err != nil {
						return err
					}
					next++
				}
				return nil
			}
			backward := func() error {
				first, prev := true, uint64(0)
				for ev, err := range e.Read(Filter{Backward: true}) {
					if err != nil {
						return err
					}
					if !first && ev.Sequence != prev-1 {
						return fmt.Errorf("backward: seq %d after %d", ev.Sequence, prev)
					}
					if err := check(ev); err != nil {
						return err
					}
					first, prev = false, ev.Sequence
				}
				if !first && prev != 0 {
					return fmt.Errorf("backward: ended at %d", prev)
				}
				return nil
			}
			stream := func() error {
				c := messages.Coordinate{Entity: "e1", Scope: "s"}
				next := uint64(1)
				for ev, err := range e.ReadStream(c, StreamRange{}) {
					if err != nil {
						return err
					}
					if ev.Version != next || ev.Coordinate != c {
						return fmt.Errorf("stream: version %d of %s, want %d", ev.Version, ev.Coordinate, next)
					}
					if err := check(ev); err != nil {
						return err
					}
					next++
				}
				return nil
			}
			for _, r := range []func() error{forward, backward, stream} {
				wg.Add(1)
				go reader(r)
			}
			for seq := uint64(0); seq < total; seq++ {
				c := messages.Coordinate{Entity: fmt.Sprintf("e%d", seq%entities), Scope: "s"}
				_, err := e.Append(&messages.Append{Coordinate: c, Kind: testKind, Payload: payload(seq)})
				require.NoError(t, err)
				if seq%7 == 6 {
					require.NoError(t, e.Commit())
				}
			}
			require.NoError(t, e.Commit())
			close(done)
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			require.NoError(t, forward())
			require.Equal(t, total, e.Stats().Events)
			if mappable(name) {
				mapped, open := e.mappedSegments()
				require.Equal(t, open-1, mapped, "each segment sealed under the readers was mapped")
			}
		})
	}
}
