package actors

import (
	"fmt"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
)

// TestReadCorrelationPagesEqualByCorrelation appends one correlation's
// events among others and reads them from the reader page by page: the
// pages, concatenated, are Store.ByCorrelation's events, each page at most
// its Limit, Next the sequence after its last event.
func TestReadCorrelationPagesEqualByCorrelation(t *testing.T) {
	f := spawn(t, smallSegments())
	saga, other := messages.NewID(), messages.NewID()
	for i := range 40 {
		corr := other
		if i%3 == 0 {
			corr = saga
		}
		_, err := f.store.Append(ctx(t), &messages.Append{Coordinate: coord(fmt.Sprintf("order/%d", i%4)), Kind: kind,
			Payload: []byte(fmt.Sprint(i)), CorrelationID: corr})
		require.NoError(t, err)
	}
	want, err := f.store.ByCorrelation(saga)
	require.NoError(t, err)
	require.Len(t, want, 14)

	req := &messages.ReadCorrelation{ID: saga, Limit: 4}
	var got []messages.Event
	pages := 0
	for {
		r, ok := askReader(t, f, req).(*messages.ReadReply)
		require.True(t, ok)
		require.NoError(t, r.Err())
		require.LessOrEqual(t, len(r.Events), 4)
		got = append(got, r.Events...)
		pages++
		if r.End {
			require.Zero(t, r.Next)
			break
		}
		require.Equal(t, r.Events[len(r.Events)-1].Sequence+1, r.Next)
		req.FromSeq = r.Next
	}
	require.Equal(t, want, got)
	require.Equal(t, 4, pages) // 4+4+4+2

	// From the middle: only the events at or after FromSeq.
	r := askReader(t, f, &messages.ReadCorrelation{ID: saga, FromSeq: want[10].Sequence}).(*messages.ReadReply)
	require.NoError(t, r.Err())
	require.True(t, r.End)
	require.Equal(t, want[10:], []messages.Event(r.Events))

	// An unknown correlation is an empty last page.
	r = askReader(t, f, &messages.ReadCorrelation{ID: messages.NewID()}).(*messages.ReadReply)
	require.NoError(t, r.Err())
	require.True(t, r.End)
	require.Empty(t, r.Events)
}

func TestReadCorrelationRefusesBadRequests(t *testing.T) {
	f := spawn(t, Config{})
	for _, req := range []*messages.ReadCorrelation{{}, {ID: messages.NewID(), Limit: -1}} {
		r, ok := askReader(t, f, req).(*messages.ReadReply)
		require.True(t, ok)
		require.ErrorIs(t, r.Err(), messages.ErrInvalidArgument)
	}
}

// TestCorrelationPageStopsAtMaxReadPageBytes: a page ends before its
// payloads pass messages.MaxReadPageBytes, but never holds no event.
func TestCorrelationPageStopsAtMaxReadPageBytes(t *testing.T) {
	big := make([]byte, messages.MaxReadPageBytes/2+1)
	evs := []messages.Event{{Sequence: 3, Payload: big}, {Sequence: 5, Payload: big}, {Sequence: 8, Payload: []byte("x")}}
	seqs := func(r messages.ReadReply) (out []uint64) {
		for _, ev := range r.Events {
			out = append(out, ev.Sequence)
		}
		return out
	}
	p := correlationPage(evs, 0, 10) // two big payloads pass the cap: one event
	require.Equal(t, []uint64{3}, seqs(p))
	require.Equal(t, uint64(4), p.Next)
	p = correlationPage(evs, p.Next, 10) // one big, one small: both
	require.Equal(t, []uint64{5, 8}, seqs(p))
	require.True(t, p.End)
	p = correlationPage(evs, 0, 1) // the limit
	require.Equal(t, []uint64{3}, seqs(p))
	require.False(t, p.End)
	require.True(t, correlationPage(evs, 9, 10).End)
}
