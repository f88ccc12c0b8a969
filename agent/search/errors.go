package search

import "errors"

// Sentinel errors. Errors returned by this package wrap them with %w, so
// callers branch with errors.Is.
var (
	// ErrNotFound reports a document or passage that is not in the index.
	ErrNotFound = errors.New("search: not found")
	// ErrBadKey reports a string that is neither a document ID nor a
	// passage key (see ParseKey).
	ErrBadKey = errors.New("search: malformed key")
	// ErrClosed reports a call on an Index after Close.
	ErrClosed = errors.New("search: index closed")
	// ErrEmbedderMismatch reports an index that was built with another
	// embedder than the one it is opened with: its vectors live in another
	// space. Open it with the same embedder, or set Options.Rebuild.
	ErrEmbedderMismatch = errors.New("search: index was built with another embedder")
)
