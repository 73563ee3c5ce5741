//go:build !purego

#include "textflag.h"

// The BLAKE3 compression function with SSE2 (every amd64 has it): the state
// as four rows of four words, one G on all four columns, then on all four
// diagonals, at a time. Each round gathers the message words it needs, in
// the order its G's take them, straight from the block (MSG), which the
// processor does beside the G's, which wait on one another.

// Round r (from 1) takes the message permuted r-1 times by BLAKE3's
// permutation [2 6 3 10 7 0 4 13 1 11 12 5 9 14 15 8]: words 0 2 4 6 of
// the permuted message are the first message words of the column G's, 1 3
// 5 7 their second, 8 10 12 14 and 9 11 13 15 those of the diagonal G's.
// The MSG lines of each round below name the byte offsets (4 x the word
// index in the block) of those words; TestHasherIsBlake3 checks the result
// against lukechampine.com/blake3 for every length up to a chunk.

// MSG gathers the 32-bit words at byte offsets a, b, c, d of the block
// (SI) into the lanes of v, using X10-X12.
#define MSG(v, a, b, c, d) \
	MOVL a(SI), v; \
	MOVL b(SI), X10; \
	MOVL c(SI), X11; \
	MOVL d(SI), X12; \
	PUNPCKLLQ X10, v; \
	PUNPCKLLQ X12, X11; \
	PUNPCKLQDQ X11, v

// ROTR rotates each 32-bit lane of x right by n, using t.
#define ROTR(x, n, t) \
	MOVO x, t; \
	PSRLL $n, x; \
	PSLLL $(32-n), t; \
	POR t, x

// G runs the G function on the rows X0 (a), X1 (b), X2 (c), X3 (d), four
// at a time, with the first message words in mx and the second in my; X5
// is scratch.
#define G(mx, my) \
	PADDL mx, X0; \
	PADDL X1, X0; \
	PXOR X0, X3; \
	PSHUFLW $0xB1, X3, X3; \
	PSHUFHW $0xB1, X3, X3; \
	PADDL X3, X2; \
	PXOR X2, X1; \
	ROTR(X1, 12, X5); \
	PADDL my, X0; \
	PADDL X1, X0; \
	PXOR X0, X3; \
	ROTR(X3, 8, X5); \
	PADDL X3, X2; \
	PXOR X2, X1; \
	ROTR(X1, 7, X5)

// ROUND runs one round with the message vectors X6-X9: G on the columns,
// the diagonals turned into columns (row b by one lane, c by two, d by
// three), G on them, and the rows turned back.
#define ROUND \
	G(X6, X7); \
	PSHUFD $0x39, X1, X1; \
	PSHUFD $0x4E, X2, X2; \
	PSHUFD $0x93, X3, X3; \
	G(X8, X9); \
	PSHUFD $0x93, X1, X1; \
	PSHUFD $0x4E, X2, X2; \
	PSHUFD $0x39, X3, X3

// func compressSSE2(cv *[8]uint32, block *[64]byte, d *[4]uint32)
//
// compressSSE2 compresses block into the chaining value cv (the first
// eight output words); d is the fourth row of the initial state: the
// counter (low, high), the block length and the flags.
TEXT ·compressSSE2(SB), NOSPLIT, $0-24
	MOVQ cv+0(FP), DI
	MOVQ block+8(FP), SI
	MOVQ d+16(FP), AX
	MOVOU 0(DI), X0
	MOVOU 16(DI), X1
	MOVOU ·blake3IV(SB), X2
	MOVOU 0(AX), X3

	// Round 1: message words 0 2 4 6 1 3 5 7 8 10 12 14 9 11 13 15.
	MSG(X6, 0, 8, 16, 24)
	MSG(X7, 4, 12, 20, 28)
	MSG(X8, 32, 40, 48, 56)
	MSG(X9, 36, 44, 52, 60)
	ROUND
	// Round 2: message words 2 3 7 4 6 10 0 13 1 12 9 15 11 5 14 8.
	MSG(X6, 8, 12, 28, 16)
	MSG(X7, 24, 40, 0, 52)
	MSG(X8, 4, 48, 36, 60)
	MSG(X9, 44, 20, 56, 32)
	ROUND
	// Round 3: message words 3 10 13 7 4 12 2 14 6 9 11 8 5 0 15 1.
	MSG(X6, 12, 40, 52, 28)
	MSG(X7, 16, 48, 8, 56)
	MSG(X8, 24, 36, 44, 32)
	MSG(X9, 20, 0, 60, 4)
	ROUND
	// Round 4: message words 10 12 14 13 7 9 3 15 4 11 5 1 0 2 8 6.
	MSG(X6, 40, 48, 56, 52)
	MSG(X7, 28, 36, 12, 60)
	MSG(X8, 16, 44, 20, 4)
	MSG(X9, 0, 8, 32, 24)
	ROUND
	// Round 5: message words 12 9 15 14 13 11 10 8 7 5 0 6 2 3 1 4.
	MSG(X6, 48, 36, 60, 56)
	MSG(X7, 52, 44, 40, 32)
	MSG(X8, 28, 20, 0, 24)
	MSG(X9, 8, 12, 4, 16)
	ROUND
	// Round 6: message words 9 11 8 15 14 5 12 1 13 0 2 4 3 10 6 7.
	MSG(X6, 36, 44, 32, 60)
	MSG(X7, 56, 20, 48, 4)
	MSG(X8, 52, 0, 8, 16)
	MSG(X9, 12, 40, 24, 28)
	ROUND
	// Round 7: message words 11 5 1 8 15 0 9 6 14 2 3 7 10 12 4 13.
	MSG(X6, 44, 20, 4, 32)
	MSG(X7, 60, 0, 36, 24)
	MSG(X8, 56, 8, 12, 28)
	MSG(X9, 40, 48, 16, 52)
	ROUND

	PXOR X2, X0
	PXOR X3, X1
	MOVOU X0, 0(DI)
	MOVOU X1, 16(DI)
	RET
