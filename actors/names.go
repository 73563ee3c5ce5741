package actors

import (
	"errors"
	"fmt"

	"github.com/asynkron/protoactor-go/actor"
)

// ErrNameTaken is returned (wrapped) by Spawn when the actor system already
// has an actor of a name the store needs: Config.Name (the supervisor),
// Config.Name+"/writer" or Config.Name+"/reader". Two stores in one actor
// system need two names: set Config.Name.
var ErrNameTaken = errors.New("batpak: the actor name is taken in this actor system")

// spawnError explains a failed spawn of the store's actor called name.
func spawnError(name string, err error) error {
	if errors.Is(err, actor.ErrNameExists) {
		return fmt.Errorf("%w: %q (give each store in one actor system its own Config.Name): %w", ErrNameTaken, name, err)
	}
	return fmt.Errorf("batpak: spawn %s: %w", name, err)
}
