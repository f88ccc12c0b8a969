package search

import (
	"path/filepath"
	"slices"
	"time"
)

// Document is one indexed file, or one Go package directory.
type Document struct {
	// ID is the document's ID: see DocID.
	ID string `json:"id"`
	// Path is the absolute path of the file, or of the Go package's
	// directory.
	Path string `json:"path"`
	// Root is the absolute path of the folder Add was given when it found
	// the document (for a single file, the file's folder).
	Root string `json:"root"`
	// Title is the document's title: see Index.Add for where it comes from.
	Title string `json:"title"`
	// Kind is KindMarkdown, KindText, KindHTML or KindGo.
	Kind string `json:"kind"`
	// SHA256 is the hex SHA-256 of the content read (for a Go package,
	// of its file names and contents); Add skips the document while it
	// is unchanged.
	SHA256 string `json:"sha256"`
	// ModTime is the file's modification time when it was indexed (for a
	// Go package, the newest of its files).
	ModTime time.Time `json:"mod_time"`
	// Size is the number of bytes read.
	Size int64 `json:"size"`
	// Chunks are the spans of the document's passages in its text, in
	// order: passage i is Key{ID, i}. The text is the extracted text of
	// the document (the file itself for Markdown and plain text).
	Chunks []Span `json:"chunks"`
}

// RelPath returns Path relative to Root, with forward slashes, or Path
// when it is not under Root.
func (d Document) RelPath() string {
	if d.Root != "" {
		if rel, err := filepath.Rel(d.Root, d.Path); err == nil && rel != "." && !startsDotDot(rel) {
			return filepath.ToSlash(rel)
		}
	}
	return d.Path
}

func startsDotDot(rel string) bool {
	return rel == ".." || len(rel) > 2 && rel[:3] == ".."+string(filepath.Separator)
}

func (d Document) clone() Document {
	d.Chunks = slices.Clone(d.Chunks)
	return d
}
