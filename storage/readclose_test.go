package storage

import (
	"errors"
	"sync"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
)

// TestReadsRacingCloseGetErrClosed reads committed events from several
// goroutines while the engine closes (real files): every read returns the
// event or ErrClosed, never an I/O error about a file closed under it.
func TestReadsRacingCloseGetErrClosed(t *testing.T) {
	for round := range 20 {
		e, err := Open(t.TempDir(), Options{})
		require.NoError(t, err)
		var ids []messages.ID
		for i := range 50 {
			r, err := e.Append(&messages.Append{Coordinate: coord("e"), Kind: testKind, Payload: []byte{byte(i)}})
			require.NoError(t, err)
			ids = append(ids, r.EventID)
		}
		require.NoError(t, e.Commit())
		start := make(chan struct{})
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for i := 0; ; i++ {
					_, err := e.Get(ids[(i+g)%len(ids)])
					if err == nil {
						continue
					}
					if !errors.Is(err, messages.ErrClosed) {
						errs <- err
					}
					return
				}
			}()
		}
		close(start)
		require.NoError(t, e.Close())
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("round %d: a read racing Close got %v, want ErrClosed", round, err)
		}
	}
}
