package typed

import (
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/messages"
)

// TestConcurrentRegistrationsAllLand: registrations from 8 goroutines at
// once, while others look kinds up, all land (none lost to a concurrent
// copy of the table), and a kind once seen by a reader stays visible
// (run with -race).
func TestConcurrentRegistrationsAllLand(t *testing.T) {
	const writers, each = 8, 40
	r := NewRegistry()
	kind := func(w, i int) messages.EventKind { return messages.MustKind(uint8(1+w), uint16(i)) }
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			seen := make(map[messages.EventKind]bool)
			for {
				select {
				case <-stop:
					return
				default:
				}
				for w := range writers {
					for i := range each {
						k := kind(w, i)
						b := r.kind(k)
						if seen[k] && b == nil {
							t.Errorf("kind %s vanished", k)
							return
						}
						if b != nil {
							seen[k] = true
							if b.kind != k {
								t.Errorf("kind %s found %s", k, b.kind)
								return
							}
						}
					}
				}
			}
		}()
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				typ := reflect.StructOf([]reflect.StructField{{Name: fmt.Sprintf("F%d_%d", w, i), Type: reflect.TypeFor[int]()}})
				b := &binding{kind: kind(w, i), name: fmt.Sprintf("k%d.%d", w, i), version: 1, typ: typ}
				if err := r.register(b); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	require.Len(t, r.Kinds(), writers*each)
	for w := range writers {
		for i := range each {
			b := r.kind(kind(w, i))
			require.NotNil(t, b)
			require.Equal(t, fmt.Sprintf("k%d.%d", w, i), r.Name(kind(w, i)))
			require.Same(t, b, r.typ(b.typ))
			require.NotNil(t, b.codec, "a struct of one int compiles")
		}
	}
}
