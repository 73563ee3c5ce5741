package storage

import (
	"bufio"
	"crypto/rand"

	"github.com/batpak-go/batpak/messages"
	"github.com/google/uuid"
)

// idSource makes the UUIDv7 ids of new events from a buffered read of the
// system's random source: one read serves 256 ids instead of one each.
// Like the rest of the write path, it is used by one goroutine.
type idSource struct{ r *bufio.Reader }

func newIDSource() idSource { return idSource{r: bufio.NewReaderSize(rand.Reader, 4096)} }

func (s idSource) next() messages.ID {
	u, err := uuid.NewV7FromReader(s.r)
	if err != nil { // the system random source failed; let messages decide
		return messages.NewID()
	}
	return messages.ID(u)
}
