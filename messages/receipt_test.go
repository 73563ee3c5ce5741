package messages_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/messages"
)

func TestEventReceipt(t *testing.T) {
	tests := []struct {
		name  string
		event messages.Event
		want  messages.Receipt
	}{
		{name: "zero", event: messages.Event{}, want: messages.Receipt{}},
		{
			name: "all fields",
			event: messages.Event{
				ID: idA, Sequence: 10, Coordinate: coord, Kind: kindA, Version: 4,
				WallMS: 1, TimestampUS: 2, CorrelationID: idB, CausationID: idC, BatchID: idD,
				PrevHash: hashA, Hash: hashB, Payload: []byte("p"), Segment: 2, Offset: 512,
			},
			// Only the receipt's fields are carried; Replayed is never set:
			// it is the writer's to report on a retry.
			want: messages.Receipt{EventID: idA, Sequence: 10, Version: 4, Hash: hashB, Segment: 2, Offset: 512},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.event.Receipt())
		})
	}
}

func TestCausationRefConstructors(t *testing.T) {
	tests := []struct {
		name string
		ref  messages.CausationRef
		want messages.CausationRef
	}{
		{name: "NoCause is the zero value", ref: messages.NoCause(), want: messages.CausationRef{}},
		{name: "NoCause mode", ref: messages.NoCause(), want: messages.CausationRef{Mode: messages.CauseNone}},
		{name: "CausedBy", ref: messages.CausedBy(idA), want: messages.CausationRef{Mode: messages.CauseAbsolute, ID: idA}},
		{name: "CausedByItem 0", ref: messages.CausedByItem(0), want: messages.CausationRef{Mode: messages.CausePriorItem, Index: 0}},
		{name: "CausedByItem 3", ref: messages.CausedByItem(3), want: messages.CausationRef{Mode: messages.CausePriorItem, Index: 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.ref)
		})
	}
	// The modes are wire format.
	require.Equal(t, messages.CauseMode(0), messages.CauseNone)
	require.Equal(t, messages.CauseMode(1), messages.CauseAbsolute)
	require.Equal(t, messages.CauseMode(2), messages.CausePriorItem)
	require.Equal(t, messages.ExpectMode(0), messages.ExpectAny)
	require.Equal(t, messages.ExpectMode(1), messages.ExpectNoStream)
	require.Equal(t, messages.ExpectMode(2), messages.ExpectExact)
}
