package main

import (
	"strconv"
	"strings"
	"unicode"
)

// esc returns s with each control character escaped as in a Go string
// literal (\n, \x1b): an entity, scope or metadata key may hold any UTF-8
// but NUL, and text for people must neither send a terminal escape
// sequence raw to the operator's terminal nor split a line. s without a
// control character is returned as is.
func esc(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
