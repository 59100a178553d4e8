// Command tiles reads a MATRIZ log as C2SP tlog-tiles with Go's golang.org/x/mod/sumdb/tlog, as
// an independent monitor would: it fetches /checkpoint, verifies its signature with note, and
// proves inclusion and consistency through tlog.TileHashReader, which checks every tile it reads
// against the checkpoint's root. Tiles come from an HTTP server or a directory (matriz tiles
// export). It reads one JSON request on stdin and writes one JSON result on stdout.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type request struct {
	// Base is an http:// URL or a directory.
	Base        string  `json:"base"`
	VerifierKey string  `json:"vkey"`
	Leaves      []int64 `json:"leaves"`
	OldSizes    []int64 `json:"old_sizes"`
}

type record struct {
	Index int64  `json:"index"`
	Leaf  string `json:"leaf"`
	Error string `json:"error"`
}

type consistency struct {
	From  int64  `json:"from"`
	Root  string `json:"root"`
	Error string `json:"error"`
}

type result struct {
	Error       string        `json:"error"`
	Origin      string        `json:"origin"`
	Size        int64         `json:"size"`
	Root        string        `json:"root"`
	Records     []record      `json:"records"`
	Consistency []consistency `json:"consistency"`
	Fetched     []string      `json:"fetched"`
}

type source struct {
	base    string
	fetched []string
}

func (s *source) read(path string) ([]byte, error) {
	s.fetched = append(s.fetched, path)
	if strings.HasPrefix(s.base, "http://") || strings.HasPrefix(s.base, "https://") {
		resp, err := http.Get(strings.TrimSuffix(s.base, "/") + "/" + path)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != 200 {
			return nil, fmt.Errorf("GET %s: %s", path, resp.Status)
		}
		return body, nil
	}
	return os.ReadFile(filepath.Join(s.base, filepath.FromSlash(path)))
}

// c2spPath is the C2SP path of a Go tile: Go's own paths carry the height (tile/8/L/N),
// C2SP's do not (tile/L/N), and C2SP names data tiles "entries".
func c2spPath(t tlog.Tile) string {
	p := strings.TrimPrefix(t.Path(), "tile/"+strconv.Itoa(t.H)+"/")
	p = strings.Replace(p, "data/", "entries/", 1)
	return "tile/" + p
}

type tileReader struct{ src *source }

func (r tileReader) Height() int { return 8 }

func (r tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		data, err := r.src.read(c2spPath(t))
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (r tileReader) SaveTiles([]tlog.Tile, [][]byte) {}

// bundleEntry returns entry i of a C2SP entry bundle (big-endian uint16 length, then bytes).
func bundleEntry(bundle []byte, i int) ([]byte, error) {
	for n := 0; ; n++ {
		if len(bundle) < 2 {
			return nil, fmt.Errorf("entry bundle ends before entry %d", i)
		}
		size := int(bundle[0])<<8 | int(bundle[1])
		if len(bundle) < 2+size {
			return nil, fmt.Errorf("entry %d of the bundle is cut short", n)
		}
		if n == i {
			return bundle[2 : 2+size], nil
		}
		bundle = bundle[2+size:]
	}
}

func run(req request) (res result) {
	src := &source{base: req.Base}
	defer func() { res.Fetched = src.fetched }()
	text, err := src.read("checkpoint")
	if err != nil {
		res.Error = "checkpoint: " + err.Error()
		return res
	}
	verifier, err := note.NewVerifier(req.VerifierKey)
	if err != nil {
		res.Error = "vkey: " + err.Error()
		return res
	}
	n, err := note.Open(text, note.VerifierList(verifier))
	if err != nil {
		res.Error = "checkpoint signature: " + err.Error()
		return res
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) < 4 {
		res.Error = "checkpoint body has fewer than three lines"
		return res
	}
	res.Origin = lines[0]
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		res.Error = "checkpoint size: " + err.Error()
		return res
	}
	rootBytes, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(rootBytes) != tlog.HashSize {
		res.Error = "checkpoint root hash is not 32 bytes of base64"
		return res
	}
	var root tlog.Hash
	copy(root[:], rootBytes)
	res.Size = size
	tree := tlog.Tree{N: size, Hash: root}
	hashes := tlog.TileHashReader(tree, tileReader{src})
	// TreeHash reads the tiles of the tree's right edge; TileHashReader has checked each against
	// the checkpoint's root, so a tile that disagrees fails here.
	computed, err := tlog.TreeHash(size, hashes)
	if err != nil {
		res.Error = "tree hash from tiles: " + err.Error()
		return res
	}
	if computed != root {
		res.Error = "tree hash from tiles differs from the checkpoint"
		return res
	}
	res.Root = base64.StdEncoding.EncodeToString(computed[:])
	for _, index := range req.Leaves {
		rec := record{Index: index}
		// The entry bundle holding the leaf, as wide as the tree has it (full, or the right
		// edge's partial bundle): the tile a static directory has.
		n := index / 256
		width := size - n*256
		if width > 256 {
			width = 256
		}
		tile := tlog.Tile{H: 8, L: -1, N: n, W: int(width)}
		bundle, err := src.read(c2spPath(tile))
		if err == nil {
			var leaf []byte
			leaf, err = bundleEntry(bundle, int(index%256))
			if err == nil {
				rec.Leaf = base64.StdEncoding.EncodeToString(leaf)
				var proof tlog.RecordProof
				proof, err = tlog.ProveRecord(size, index, hashes)
				if err == nil {
					err = tlog.CheckRecord(proof, size, root, index, tlog.RecordHash(leaf))
				}
			}
		}
		if err != nil {
			rec.Error = err.Error()
		}
		res.Records = append(res.Records, rec)
	}
	for _, old := range req.OldSizes {
		c := consistency{From: old}
		oldRoot, err := tlog.TreeHash(old, hashes)
		if err == nil {
			c.Root = base64.StdEncoding.EncodeToString(oldRoot[:])
			var proof tlog.TreeProof
			proof, err = tlog.ProveTree(size, old, hashes)
			if err == nil {
				err = tlog.CheckTree(proof, size, root, old, oldRoot)
			}
		}
		if err != nil {
			c.Error = err.Error()
		}
		res.Consistency = append(res.Consistency, c)
	}
	return res
}

func main() {
	var req request
	input, err := io.ReadAll(os.Stdin)
	if err == nil {
		err = json.NewDecoder(bytes.NewReader(input)).Decode(&req)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tiles: bad request:", err)
		os.Exit(2)
	}
	if err := json.NewEncoder(os.Stdout).Encode(run(req)); err != nil {
		os.Exit(1)
	}
}
