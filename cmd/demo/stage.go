package main

import (
	"context"
	"sync"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/messages"
)

// stage is the store as the order commands see it (a command.Store): the
// store itself, except for the appends to an entity the demo plays a scene
// on (the late order meets a writer crash, the phoned order a race), which
// go through that scene.
type stage struct {
	*actors.Store
	mu     sync.Mutex
	scenes map[string]scene
}

// scene handles a command's append to one entity.
type scene func(ctx context.Context, a *messages.Append) (messages.Receipt, error)

// play routes the appends to entity through s until the returned func is
// called.
func (st *stage) play(entity string, s scene) (done func()) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.scenes == nil {
		st.scenes = map[string]scene{}
	}
	st.scenes[entity] = s
	return func() {
		st.mu.Lock()
		defer st.mu.Unlock()
		delete(st.scenes, entity)
	}
}

// Append implements command.Store.
func (st *stage) Append(ctx context.Context, a *messages.Append) (messages.Receipt, error) {
	st.mu.Lock()
	s := st.scenes[a.Coordinate.Entity]
	st.mu.Unlock()
	if s != nil {
		return s(ctx, a)
	}
	return st.Store.Append(ctx, a)
}
