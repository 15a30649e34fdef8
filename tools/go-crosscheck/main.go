// An independent check of a running raretrace server with golang.org/x/mod/sumdb/{note,tlog}: it opens the
// signed checkpoints, re-derives the tree from the served tiles, and verifies (and regenerates) the served
// inclusion and consistency proofs. Built and run by scripts/go-crosscheck.sh in CI (Debian: golang-go,
// golang-golang-x-mod-dev, GOPATH mode).
//
// usage: go-crosscheck BASE_URL VERIFIER_KEY
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

var base string

func get(path string) []byte {
	resp, err := http.Get(base + path)
	if err != nil {
		fail("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		fail("GET %s: status %d %s", path, resp.StatusCode, body)
	}
	return body
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "go-crosscheck: "+format+"\n", args...)
	os.Exit(1)
}

// C2SP tlog-tiles index: 3-digit groups, all but the last prefixed with x.
func idx(n int64) string {
	s := fmt.Sprintf("%03d", n%1000)
	for n /= 1000; n > 0; n /= 1000 {
		s = fmt.Sprintf("x%03d/%s", n%1000, s)
	}
	return s
}

func tilePath(t tlog.Tile) string {
	level := strconv.Itoa(t.L)
	if t.L == -1 {
		level = "entries"
	}
	p := "/tile/" + level + "/" + idx(t.N)
	if t.W != 1<<uint(t.H) {
		p += fmt.Sprintf(".p/%d", t.W)
	}
	return p
}

type tileReader struct{}

func (tileReader) Height() int { return 8 }
func (tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		out[i] = get(tilePath(t))
	}
	return out, nil
}
func (tileReader) SaveTiles([]tlog.Tile, [][]byte) {}

type checkpoint struct {
	origin string
	tree   tlog.Tree
}

func openCheckpoint(text []byte, verifier note.Verifier) checkpoint {
	n, err := note.Open(text, note.VerifierList(verifier))
	if err != nil {
		fail("checkpoint does not verify: %v\n%s", err, text)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 {
		fail("checkpoint body too short: %q", n.Text)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("checkpoint size: %v", err)
	}
	raw, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(raw) != tlog.HashSize {
		fail("checkpoint root: %v", err)
	}
	var root tlog.Hash
	copy(root[:], raw)
	return checkpoint{origin: lines[0], tree: tlog.Tree{N: size, Hash: root}}
}

func hashes(list []string) []tlog.Hash {
	out := make([]tlog.Hash, len(list))
	for i, s := range list {
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(raw) != tlog.HashSize {
			fail("proof hash %q", s)
		}
		copy(out[i][:], raw)
	}
	return out
}

func main() {
	if len(os.Args) != 3 {
		fail("usage: go-crosscheck BASE_URL VERIFIER_KEY")
	}
	base = strings.TrimRight(os.Args[1], "/")
	verifier, err := note.NewVerifier(strings.TrimSpace(os.Args[2]))
	if err != nil {
		fail("verifier key: %v", err)
	}
	latest := openCheckpoint(get("/checkpoint"), verifier)
	n := latest.tree.N
	if n < 2 {
		fail("the log is too small to check (%d)", n)
	}
	// The tree as Go derives it from the served tiles must have the signed root.
	reader := tlog.TileHashReader(latest.tree, tileReader{})
	root, err := tlog.TreeHash(n, reader)
	if err != nil || root != latest.tree.Hash {
		fail("root from tiles %v differs from the signed root (%v)", root, err)
	}
	// Inclusion: served proofs verify against the leaf read from the entry bundles, and equal Go's own.
	checked := 0
	for _, i := range []int64{0, 1, n / 3, n / 2, n - 2, n - 1, 255, 256, 257} {
		if i < 0 || i >= n {
			continue
		}
		width := n - (i/256)*256
		if width > 256 {
			width = 256
		}
		bundle := get(tilePath(tlog.Tile{H: 8, L: -1, N: i / 256, W: int(width)}))
		var entry []byte
		for k, at := int64(0), 0; k <= i%256; k++ {
			size := int(bundle[at])<<8 | int(bundle[at+1])
			entry = bundle[at+2 : at+2+size]
			at += 2 + size
		}
		leaf := tlog.RecordHash(entry)
		var served struct {
			Index int64
			Size  int64
			Proof []string
		}
		if err := json.Unmarshal(get(fmt.Sprintf("/proof/inclusion?index=%d&size=%d", i, n)), &served); err != nil {
			fail("inclusion json: %v", err)
		}
		proof := hashes(served.Proof)
		if err := tlog.CheckRecord(proof, n, latest.tree.Hash, i, leaf); err != nil {
			fail("inclusion proof for %d does not verify: %v", i, err)
		}
		own, err := tlog.ProveRecord(n, i, reader)
		if err != nil || len(own) != len(proof) {
			fail("Go's proof for %d differs (%v)", i, err)
		}
		for k := range own {
			if own[k] != proof[k] {
				fail("Go's proof for %d differs at %d", i, k)
			}
		}
		checked++
	}
	// Consistency: every stored checkpoint verifies and is consistent with the latest.
	var list struct {
		Checkpoints []struct {
			Size int64
			Root string
		}
	}
	if err := json.Unmarshal(get("/checkpoints"), &list); err != nil {
		fail("checkpoints json: %v", err)
	}
	consistent := 0
	for _, c := range list.Checkpoints {
		old := openCheckpoint(get(fmt.Sprintf("/checkpoints/%d", c.Size)), verifier)
		if old.origin != latest.origin {
			fail("checkpoint %d has origin %s", c.Size, old.origin)
		}
		if old.tree.N == 0 || old.tree.N > n {
			continue
		}
		var served struct {
			Old, New int64
			Proof    []string
		}
		if err := json.Unmarshal(get(fmt.Sprintf("/proof/consistency?old=%d&new=%d", old.tree.N, n)), &served); err != nil {
			fail("consistency json: %v", err)
		}
		proof := hashes(served.Proof)
		if err := tlog.CheckTree(proof, n, latest.tree.Hash, old.tree.N, old.tree.Hash); err != nil {
			fail("checkpoint %d is not consistent with %d: %v", old.tree.N, n, err)
		}
		own, err := tlog.ProveTree(n, old.tree.N, reader)
		if err != nil || !bytes.Equal(hashBytes(own), hashBytes(proof)) {
			fail("Go's consistency proof %d→%d differs (%v)", old.tree.N, n, err)
		}
		consistent++
	}
	if consistent < 2 {
		fail("expected at least two checkpoints to check, got %d", consistent)
	}
	fmt.Printf("go-crosscheck: ok: tree %d, root from tiles, %d inclusion proofs, %d checkpoints consistent\n", n, checked, consistent)
}

func hashBytes(list []tlog.Hash) []byte {
	var out []byte
	for _, h := range list {
		out = append(out, h[:]...)
	}
	return out
}
