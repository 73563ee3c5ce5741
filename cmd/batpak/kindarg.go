package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/batpak-go/batpak/messages"
)

// kindFromArg parses an event kind as an operator writes it: "1:001"
// (category:type in hex, as the tool prints kinds), "0x1001" or "4097".
// Reserved kinds are accepted: a filter may name them, an append refuses
// them.
func kindFromArg(s string) (messages.EventKind, error) {
	if c, t, ok := strings.Cut(s, ":"); ok {
		cat, err1 := strconv.ParseUint(c, 16, 8)
		typ, err2 := strconv.ParseUint(t, 16, 16)
		if err1 != nil || err2 != nil || cat > 0xF || typ > 0xFFF {
			return 0, fmt.Errorf("bad event kind %q: want category:type in hex (0..f:000..fff), e.g. 1:001", s)
		}
		return messages.EventKind(cat<<12 | typ), nil
	}
	n, err := strconv.ParseUint(s, 0, 16)
	if err != nil {
		return 0, fmt.Errorf("bad event kind %q: want category:type in hex (e.g. 1:001), or a number (0x1001, 4097)", s)
	}
	return messages.EventKind(n), nil
}

// kindNames maps kinds to the names an application gives them (the store
// keeps only the numbers).
type kindNames map[messages.EventKind]string

// loadKindNames reads a file of lines "KIND NAME" (KIND as kindFromArg
// takes it; blank lines and lines starting with # are skipped). An empty
// path gives no names.
func loadKindNames(path string) (kindNames, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("kind names: %w", err)
	}
	defer f.Close()
	names := kindNames{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, name, ok := strings.Cut(line, " ")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, fmt.Errorf("kind names: %s line %d: want \"KIND NAME\", got %q", path, n, line)
		}
		kind, err := kindFromArg(k)
		if err != nil {
			return nil, fmt.Errorf("kind names: %s line %d: %w", path, n, err)
		}
		names[kind] = name
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("kind names: %s: %w", path, err)
	}
	return names, nil
}

// label is "1:001" or, with a name, "1:001 order-placed".
func (n kindNames) label(k messages.EventKind) string {
	if name := n[k]; name != "" {
		return k.String() + " " + name
	}
	return k.String()
}

// idFromArg parses an event or correlation id given on the command line.
func idFromArg(flag, s string) (messages.ID, error) {
	id, err := messages.ParseID(s)
	if err != nil || id.IsZero() {
		return messages.ID{}, fmt.Errorf("bad --%s %q: want a UUID such as 0190f3c2-7a4e-7d1b-9c3a-2b4d6e8f0a1c", flag, s)
	}
	return id, nil
}
