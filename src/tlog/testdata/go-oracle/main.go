// Independent oracle for src/tlog: golang.org/x/mod/sumdb/{note,tlog} re-derive every tile, open every
// checkpoint, check every proof and regenerate it (ProveRecord/ProveTree) for comparison. Run by
// oracle.test.ts when Go and golang.org/x/mod are installed (Debian: golang-go, golang-golang-x-mod-dev);
// argument: the directory that test wrote.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type data struct {
	Vkey        string
	Checkpoints []struct {
		Size int64
		Note string
	}
	Incl []struct {
		Index, Size int64
		Proof       []string
	}
	Cons []struct {
		M, N  int64
		Proof []string
	}
	N     int64
	Tiles int
}

func idx(n int64) string {
	s := fmt.Sprintf("%03d", n%1000)
	for n /= 1000; n > 0; n /= 1000 {
		s = fmt.Sprintf("x%03d/", n%1000) + s
	}
	return s
}

func main() {
	dir := os.Args[1]
	raw, _ := os.ReadFile(filepath.Join(dir, "data.json"))
	var d data
	if err := json.Unmarshal(raw, &d); err != nil {
		panic(err)
	}
	eraw, _ := os.ReadFile(filepath.Join(dir, "entries.json"))
	var entries []string
	json.Unmarshal(eraw, &entries)
	var stored []tlog.Hash
	hr := tlog.HashReaderFunc(func(ix []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(ix))
		for i, x := range ix {
			out[i] = stored[x]
		}
		return out, nil
	})
	for i, e := range entries {
		b, _ := base64.StdEncoding.DecodeString(e)
		hs, err := tlog.StoredHashes(int64(i), b, hr)
		if err != nil {
			panic(err)
		}
		stored = append(stored, hs...)
	}
	fail := 0
	// Tiles: every tile Go says exists for the final size must equal ours byte for byte.
	nt := 0
	for _, t := range tlog.NewTiles(8, 0, d.N) {
		final := d.N
		for l := 0; l < t.L; l++ {
			final /= 256
		}
		if w := final - t.N*256; (w >= 256 && t.W != 256) || (w < 256 && int64(t.W) != w) {
			continue
		}
		want, err := tlog.ReadTileData(t, hr)
		if err != nil {
			panic(err)
		}
		p := fmt.Sprintf("tile/%d/%s", t.L, idx(t.N))
		if t.W < 256 {
			p += fmt.Sprintf(".p/%d", t.W)
		}
		got, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil || !bytes.Equal(got, want) {
			fmt.Println("TILE MISMATCH", p, err)
			fail++
		}
		nt++
	}
	fmt.Printf("tiles compared: %d (ours: %d)\n", nt, d.Tiles)
	roots := map[int64]tlog.Hash{}
	for _, c := range d.Checkpoints {
		v, err := note.NewVerifier(d.Vkey)
		if err != nil {
			panic(err)
		}
		n, err := note.Open([]byte(c.Note), note.VerifierList(v))
		if err != nil {
			fmt.Println("NOTE", c.Size, err)
			fail++
			continue
		}
		lines := strings.Split(n.Text, "\n")
		rb, _ := base64.StdEncoding.DecodeString(lines[2])
		var root tlog.Hash
		copy(root[:], rb)
		want, _ := tlog.TreeHash(c.Size, hr)
		if lines[1] != fmt.Sprint(c.Size) || root != want {
			fmt.Println("ROOT MISMATCH", c.Size)
			fail++
		}
		roots[c.Size] = root
	}
	dec := func(ps []string) []tlog.Hash {
		out := make([]tlog.Hash, len(ps))
		for i, p := range ps {
			b, _ := base64.StdEncoding.DecodeString(p)
			copy(out[i][:], b)
		}
		return out
	}
	for _, c := range d.Incl {
		b, _ := base64.StdEncoding.DecodeString(entries[c.Index])
		p := dec(c.Proof)
		if err := tlog.CheckRecord(p, c.Size, roots[c.Size], c.Index, tlog.RecordHash(b)); err != nil {
			fmt.Println("INCL", c.Index, c.Size, err)
			fail++
		}
		gp, _ := tlog.ProveRecord(c.Size, c.Index, hr)
		if fmt.Sprint(gp) != fmt.Sprint(tlog.RecordProof(p)) {
			fmt.Println("INCL PROOF DIFFERS", c.Index, c.Size)
			fail++
		}
	}
	for _, c := range d.Cons {
		p := dec(c.Proof)
		if err := tlog.CheckTree(p, c.N, roots[c.N], c.M, roots[c.M]); err != nil {
			fmt.Println("CONS", c.M, c.N, err)
			fail++
		}
		gp, _ := tlog.ProveTree(c.N, c.M, hr)
		if fmt.Sprint(gp) != fmt.Sprint(tlog.TreeProof(p)) {
			fmt.Println("CONS PROOF DIFFERS", c.M, c.N)
			fail++
		}
	}
	fmt.Printf("checkpoints %d, inclusion %d, consistency %d, failures %d\n", len(d.Checkpoints), len(d.Incl), len(d.Cons), fail)
}
