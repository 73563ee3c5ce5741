package main

import (
	"encoding/json"
	"testing"
	"time"
)

// jbuf writes the JSON encoding/json writes.
func TestJbufMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote\back`, "tab\tnl\ncr\r\x00\x1f", "é ü 世界", "\xff\xfe bad", "\u2028\u2029", "<&>"} {
		var j jbuf
		j.str([]byte(s))
		var back string
		if err := json.Unmarshal(j.b, &back); err != nil {
			t.Fatalf("%q: %s is not JSON: %v", s, j.b, err)
		}
		want, _ := json.Marshal(s)
		var wantBack string
		_ = json.Unmarshal(want, &wantBack)
		if back != wantBack {
			t.Fatalf("%q: %s reads back %q, encoding/json's %q", s, j.b, back, wantBack)
		}
	}
	for _, us := range []int64{0, 1, -1, 1796022001971558, 253402300799999999, 253402300800000000, -62135596800000001} {
		var j jbuf
		j.timeUS(us)
		want := `"` + time.UnixMicro(us).UTC().Format("2006-01-02T15:04:05.000000Z") + `"`
		if string(j.b) != want {
			t.Fatalf("%d: %s, want %s", us, j.b, want)
		}
	}
	var j jbuf
	j.uuid([16]byte{0x01, 0xa2, 0x2b, 0x40, 0xe1, 0x26, 0x71, 0x74, 0xaa, 0x98, 0xb4, 0x71, 0x8a, 0x42, 0xe3, 0xd6})
	j.kind(0x2a3f)
	if string(j.b) != `"01a22b40-e126-7174-aa98-b4718a42e3d6""2:a3f"` {
		t.Fatal(string(j.b))
	}
}
