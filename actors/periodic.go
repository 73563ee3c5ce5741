package actors

import (
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/storage"
)

// armSyncTimer schedules a syncTick SyncInterval from now when the store
// syncs periodically and something was committed since the last fsync, so
// that events acknowledged before the fsync are made durable within one
// interval even if no further commit comes.
func (w *writer) armSyncTimer(ctx actor.Context) {
	opts := w.sh.cfg.Storage
	if opts.SyncMode != storage.SyncPeriodic || !w.dirty || w.ticking {
		return
	}
	w.ticking = true
	interval := opts.SyncInterval
	if interval <= 0 {
		interval = storage.DefaultSyncInterval
	}
	self, root := ctx.Self(), w.sh.sys.Root
	time.AfterFunc(interval, func() { root.Send(self, &syncTick{}) })
}

// periodicSync fsyncs what was committed since the last fsync.
func (w *writer) periodicSync(ctx actor.Context) {
	w.ticking = false
	if w.e == nil || w.closed || !w.dirty {
		return
	}
	if w.inflight != nil || len(w.open.waiters) > 0 {
		w.armSyncTimer(ctx) // a group is on its way; fsync after it
		return
	}
	w.dirty = false
	if err := w.e.Sync(); err != nil {
		panic(fmt.Errorf("batpak writer: periodic sync failed, reopening: %w", err))
	}
}
