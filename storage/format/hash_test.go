package format

import (
	"math/rand/v2"
	"testing"

	"lukechampine.com/blake3"
)

// The event hash is BLAKE3-256 whichever way it is computed: the one-chunk
// path (SSE2 on amd64) and the chunked one agree with lukechampine.com/
// blake3's Sum256 for every length up to a few chunks and random bytes.
func TestHasherIsBlake3(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	h := NewHasher()
	for n := 0; n <= 3*blake3Chunk+17; n++ {
		p := make([]byte, n)
		for range 3 {
			for i := range p {
				p[i] = byte(rng.Uint32())
			}
			if got, want := h.Sum(p), blake3.Sum256(p); got != want {
				t.Fatalf("%d bytes: got %x, want %x", n, got, want)
			}
		}
	}
	var ones [blake3Chunk]byte
	for i := range ones {
		ones[i] = 0xFF
	}
	if got, want := h.Sum(ones[:]), blake3.Sum256(ones[:]); got != want {
		t.Fatalf("all ones: got %x, want %x", got, want)
	}
}

// FuzzHasher: any input hashes as lukechampine.com/blake3 hashes it.
func FuzzHasher(f *testing.F) {
	f.Add([]byte{})
	f.Add(make([]byte, 64))
	f.Add(make([]byte, 65))
	f.Add(make([]byte, 1024))
	f.Add(make([]byte, 1025))
	h := NewHasher()
	f.Fuzz(func(t *testing.T, p []byte) {
		if got, want := h.Sum(p), blake3.Sum256(p); got != want {
			t.Fatalf("%d bytes: got %x, want %x", len(p), got, want)
		}
	})
}

// BenchmarkHasher: the hash of an event body of the benchmarks' events
// (a 256-byte payload makes a 360-byte body before the hash).
func BenchmarkHasher(b *testing.B) {
	for _, n := range []int{360, 1024} {
		p := make([]byte, n)
		b.Run("ours/bytes="+itoa(n), func(b *testing.B) {
			h := NewHasher()
			b.SetBytes(int64(n))
			for b.Loop() {
				h.Sum(p)
			}
		})
		b.Run("blake3.Sum256/bytes="+itoa(n), func(b *testing.B) {
			b.SetBytes(int64(n))
			for b.Loop() {
				blake3.Sum256(p)
			}
		})
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
