// Command verify checks MATRIZ checkpoints and proofs with Go's golang.org/x/mod/sumdb
// packages, as an independent client would. It reads one JSON request on stdin and writes
// one JSON result on stdout.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type inclusion struct {
	Index int64    `json:"index"`
	Size  int64    `json:"size"`
	Leaf  []byte   `json:"leaf"`
	Proof [][]byte `json:"proof"`
	Root  []byte   `json:"root"`
}

type consistency struct {
	From     int64    `json:"from"`
	To       int64    `json:"to"`
	FromRoot []byte   `json:"from_root"`
	ToRoot   []byte   `json:"to_root"`
	Proof    [][]byte `json:"proof"`
}

type request struct {
	VerifierKey string        `json:"vkey"`
	Note        string        `json:"note"`
	Inclusion   []inclusion   `json:"inclusion"`
	Consistency []consistency `json:"consistency"`
}

type result struct {
	NoteError   string   `json:"note_error"`
	NoteText    string   `json:"note_text"`
	Signers     []string `json:"signers"`
	Inclusion   []string `json:"inclusion"`
	Consistency []string `json:"consistency"`
}

func hashOf(b []byte) (tlog.Hash, error) {
	var h tlog.Hash
	if len(b) != len(h) {
		return h, fmt.Errorf("hash is %d bytes", len(b))
	}
	copy(h[:], b)
	return h, nil
}

func hashesOf(bs [][]byte) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(bs))
	for i, b := range bs {
		h, err := hashOf(b)
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}

func errorText(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

func main() {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var res result
	if req.Note != "" {
		verifier, err := note.NewVerifier(req.VerifierKey)
		if err == nil {
			var n *note.Note
			n, err = note.Open([]byte(req.Note), note.VerifierList(verifier))
			if err == nil {
				res.NoteText = n.Text
				for _, s := range n.Sigs {
					res.Signers = append(res.Signers, fmt.Sprintf("%s+%08x", s.Name, s.Hash))
				}
			}
		}
		res.NoteError = errorText(err)
	}
	for _, p := range req.Inclusion {
		proof, err := hashesOf(p.Proof)
		var root tlog.Hash
		if err == nil {
			root, err = hashOf(p.Root)
		}
		if err == nil {
			err = tlog.CheckRecord(tlog.RecordProof(proof), p.Size, root, p.Index, tlog.RecordHash(p.Leaf))
		}
		res.Inclusion = append(res.Inclusion, errorText(err))
	}
	for _, p := range req.Consistency {
		proof, err := hashesOf(p.Proof)
		var from, to tlog.Hash
		if err == nil {
			from, err = hashOf(p.FromRoot)
		}
		if err == nil {
			to, err = hashOf(p.ToRoot)
		}
		if err == nil {
			err = tlog.CheckTree(tlog.TreeProof(proof), p.To, to, p.From, from)
		}
		res.Consistency = append(res.Consistency, errorText(err))
	}
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		os.Exit(2)
	}
}
