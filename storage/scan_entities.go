package storage

import "github.com/batpak-go/batpak/messages"

// entities is what a DirScanner keeps per entity to check the chains and
// checkpoints: its memory grows with the entities, not the events.
type entities struct {
	m    map[string]*entityState // by key: entity, a zero byte, scope
	list []*entityState          // by stream number (order of first appearance)
	key  []byte
}

// entityState is one entity's tail and its stream number.
type entityState struct {
	coord  messages.Coordinate
	t      tail
	stream uint32
	epoch  uint32 // the scanner's epoch when its chain was last followed
}

func newEntities() *entities { return &entities{m: map[string]*entityState{}} }

// findBytes returns the entity of a coordinate given as bytes, or nil.
func (x *entities) findBytes(ent, scope []byte) *entityState {
	x.key = append(append(append(x.key[:0], ent...), 0), scope...)
	return x.m[string(x.key)]
}

// find returns the entity of c, or nil.
func (x *entities) find(c messages.Coordinate) *entityState {
	x.key = append(append(append(x.key[:0], c.Entity...), 0), c.Scope...)
	return x.m[string(x.key)]
}

// add adds entity c, new, as the next stream. Its chain is followed from
// its first event if the scanner met no damage (epoch 0), else from its
// second (the damage may have hidden its first ones).
func (x *entities) add(c messages.Coordinate, epoch uint32) *entityState {
	st := &entityState{coord: c, stream: uint32(len(x.list)), epoch: epoch - min(epoch, 1)}
	x.m[c.Entity+"\x00"+c.Scope] = st
	x.list = append(x.list, st)
	return st
}

// coordCache shares the strings of recent coordinates between events when
// no entities are kept; it forgets them all once it holds maxCached.
type coordCache struct {
	m   map[string]messages.Coordinate
	key []byte
}

const maxCached = 4096

func (c *coordCache) get(ent, scope []byte) messages.Coordinate {
	c.key = append(append(append(c.key[:0], ent...), 0), scope...)
	if co, ok := c.m[string(c.key)]; ok {
		return co
	}
	if c.m == nil || len(c.m) >= maxCached {
		c.m = make(map[string]messages.Coordinate)
	}
	co := messages.Coordinate{Entity: string(ent), Scope: string(scope)}
	c.m[string(c.key)] = co
	return co
}
