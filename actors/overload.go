package actors

import (
	"context"
	"errors"

	"github.com/batpak-go/batpak/messages"
)

// requestAdmitted sends an append to the writer like request, but when the
// writer's admission answers messages.ErrOverloaded it waits until the
// queue is down to half its bounds and sends it again (nothing of a
// refused request was queued, so sending it again is safe). It waits as
// long as ctx allows and returns ctx.Err() once ctx is done; a ctx without
// a deadline waits at most Config.RequestTimeout in all, then the caller
// gets the ErrOverloaded reply.
func (s *Store) requestAdmitted(ctx context.Context, msg any) (any, error) {
	wait := ctx
	for {
		res, err := s.request(ctx, msg)
		if err != nil || !overloaded(res) {
			return res, err
		}
		if wait == ctx {
			if _, ok := ctx.Deadline(); !ok {
				var cancel context.CancelFunc
				wait, cancel = context.WithTimeout(ctx, s.sh.cfg.RequestTimeout)
				defer cancel()
			}
		}
		if err := s.sh.adm.waitRoom(wait, s.sh.stoppedCh); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return res, nil // still overloaded after RequestTimeout
		}
	}
}

// overloaded reports whether res refuses an append with ErrOverloaded.
func overloaded(res any) bool {
	var err error
	switch r := res.(type) {
	case *messages.AppendReply:
		err = r.Err()
	case *messages.AppendBatchReply:
		err = r.Err()
	}
	return errors.Is(err, messages.ErrOverloaded)
}
