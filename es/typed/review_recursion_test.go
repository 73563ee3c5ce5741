package typed

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/messages"
)

type (
	// SelfEmbedding embeds a pointer to itself.
	SelfEmbedding struct {
		*SelfEmbedding
		A int
	}
	// MutualA embeds MutualB, which embeds it back.
	MutualA struct {
		*MutualB
		A int
	}
	// MutualB embeds MutualA.
	MutualB struct {
		*MutualA
		B int
	}
)

// TestReviewSelfEmbeddingRegisters: registering a struct that embeds
// itself (directly or through another struct) compiled its layout without
// end, a fatal stack overflow at Register; it is left to msgpack, as
// before the compiled codec.
func TestReviewSelfEmbeddingRegisters(t *testing.T) {
	r := NewRegistry()
	require.NoError(t, Register[SelfEmbedding](r, messages.MustKind(1, 1), "self", 1))
	require.False(t, HasPlan(r, messages.MustKind(1, 1)))
	require.NoError(t, Register[MutualA](r, messages.MustKind(1, 2), "mutual", 1))
}
