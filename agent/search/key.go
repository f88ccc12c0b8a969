package search

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// idLen is the length of a document ID: 12 lowercase hex digits.
const idLen = 12

// Key names one passage of the index: the Chunk-th chunk (0-based) of
// document DocID. Agents cite passages by key, in brackets:
// [3fa9c2e01b7d#12].
type Key struct {
	// DocID is the document's ID, 12 lowercase hex digits.
	DocID string
	// Chunk is the passage's position in the document, from 0.
	Chunk int
}

// String returns the key as "docid#chunk", without brackets.
func (k Key) String() string { return k.DocID + "#" + strconv.Itoa(k.Chunk) }

// ParseKey parses "docid#chunk", with or without surrounding brackets
// and spaces. The error wraps ErrBadKey.
func ParseKey(s string) (Key, error) {
	t := strings.TrimSpace(s)
	t = strings.TrimSuffix(strings.TrimPrefix(t, "["), "]")
	id, n, ok := strings.Cut(t, "#")
	if !ok {
		return Key{}, fmt.Errorf("%w: %q has no '#': want docid#chunk like 3fa9c2e01b7d#12", ErrBadKey, s)
	}
	if !ValidDocID(id) {
		return Key{}, fmt.Errorf("%w: %q: a document ID is 12 lowercase hex digits", ErrBadKey, s)
	}
	c, err := strconv.Atoi(n)
	if err != nil || c < 0 || strings.HasPrefix(n, "+") {
		return Key{}, fmt.Errorf("%w: %q: the chunk after '#' must be a number from 0", ErrBadKey, s)
	}
	return Key{DocID: id, Chunk: c}, nil
}

// ValidDocID reports whether id has the form of a document ID: 12
// lowercase hex digits.
func ValidDocID(id string) bool {
	if len(id) != idLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// DocID returns the ID of the document at path: the first 6 bytes of the
// SHA-256 of the absolute, cleaned path, in lowercase hex. A relative
// path is made absolute against the working directory.
func DocID(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	sum := sha256.Sum256([]byte(filepath.Clean(path)))
	return hex.EncodeToString(sum[:idLen/2])
}
