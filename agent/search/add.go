package search

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/philippgille/chromem-go"
)

// maxErrors is how many errors Stats.Errors keeps.
const maxErrors = 20

// Stats reports what an Add did.
type Stats struct {
	// Seen is the number of files and Go package directories found
	// under the roots.
	Seen int
	// Added, Updated and Unchanged count the documents indexed for the
	// first time, re-indexed because their content changed, and skipped
	// because it did not.
	Added, Updated, Unchanged int
	// Removed counts documents dropped because their file is gone from a
	// root (or no longer yields a document).
	Removed int
	// Failed counts files that were skipped because they could not be
	// read, parsed or walked; Errors holds the first 20 of their errors.
	Failed int
	Errors []error
	// Chunks is the number of passages written; Bytes the number of
	// bytes read from files.
	Chunks int
	Bytes  int64
	// Duration is how long Add took.
	Duration time.Duration
}

func (s *Stats) fail(errs ...error) {
	for _, err := range errs {
		s.Failed++
		if len(s.Errors) < maxErrors {
			s.Errors = append(s.Errors, err)
		}
	}
}

// Add indexes the folders and files named by roots, and returns what it
// did. It reads:
//
//   - Markdown (.md, .markdown): the text as is; title from the first
//     "# " heading, else the file name. Split at headings first.
//   - Plain text (.txt, .text, .rst): the text as is; title is the file
//     name.
//   - HTML (.html, .htm): the readable text (see the package doc); title
//     from <title>, a leading JSON comment's "Title", or the first
//     <h1>/<h2>.
//   - Go packages: every folder with non-test .go files that match this
//     process's build context becomes one document titled
//     "package <import path>" whose text is its documentation, like
//     `go doc -all`. Folders named internal are left out.
//
// Folders whose names start with "." or "_", testdata, vendor and
// node_modules are skipped. A document whose content hash is unchanged
// is skipped; a changed one replaces its old passages; a document whose
// file is gone from under a root is removed. Files that cannot be read
// or parsed are skipped and counted in Stats.Failed; an unreadable or
// missing root fails the whole call before anything changes.
//
// The index is saved when Add returns. If ctx is cancelled, or the
// embedder fails, Add stops, keeps the documents already finished, saves
// a consistent index and returns the error with the Stats so far.
func (ix *Index) Add(ctx context.Context, roots ...string) (st Stats, err error) {
	start := time.Now()
	ix.addMu.Lock()
	defer ix.addMu.Unlock()
	defer func() { st.Duration = time.Since(start) }()
	if err := ix.checkOpen(); err != nil {
		return st, err
	}

	var srcs []source
	var scopes []string
	seen := map[string]bool{}
	for _, root := range roots {
		s, scope, bad, err := discover(ctx, root)
		if err != nil {
			return st, fmt.Errorf("search: add %s: %w", root, err)
		}
		st.fail(bad...)
		scopes = append(scopes, scope)
		for _, src := range s {
			if !seen[src.path] {
				seen[src.path] = true
				srcs = append(srcs, src)
			}
		}
	}
	st.Seen = len(srcs)

	ix.mu.Lock()
	for id, d := range ix.docs {
		for _, scope := range scopes {
			if within(d.Path, scope) && !seen[d.Path] {
				ix.removeLocked(id)
				st.Removed++
				break
			}
		}
	}
	ix.mu.Unlock()

	err = ix.process(ctx, srcs, &st, start)

	ix.mu.Lock()
	defer ix.mu.Unlock()
	if serr := ix.save(); serr != nil && err == nil {
		err = serr
	}
	return st, err
}

// checkOpen returns ErrClosed after Close.
func (ix *Index) checkOpen() error {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.errIfClosed()
}

// indexed is a source read, chunked and embedded, ready to commit.
type indexed struct {
	src       source
	doc       *Document // nil when unchanged, empty or failed
	texts     []string
	vecs      [][]float32
	unchanged bool
	bad       []error // files skipped
	bytes     int64
	err       error // stops the Add: cancellation or an embedder failure
}

// process indexes srcs on ix.opts.Workers goroutines and commits each
// result as it arrives.
func (ix *Index) process(ctx context.Context, srcs []source, st *Stats, start time.Time) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan source)
	results := make(chan indexed)
	var wg sync.WaitGroup
	for range min(ix.opts.Workers, max(len(srcs), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for src := range jobs {
				results <- ix.indexSource(wctx, src)
			}
		}()
	}
	go func() {
		defer close(jobs)
		for _, src := range srcs {
			select {
			case jobs <- src:
			case <-wctx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(results)
	}()

	var stop error
	done := 0
	for r := range results {
		done++
		st.Bytes += r.bytes
		st.fail(r.bad...)
		switch {
		case r.err != nil:
			if stop == nil {
				stop = r.err
				cancel()
			}
		case r.unchanged:
			st.Unchanged++
		default:
			ix.mu.Lock()
			added, updated := ix.commitLocked(r)
			ix.mu.Unlock()
			switch {
			case r.doc == nil && updated: // no longer yields a document
				st.Removed++
			case added:
				st.Added++
			case updated:
				st.Updated++
			}
			if r.doc != nil {
				st.Chunks += len(r.texts)
			}
		}
		if ix.opts.Progress != nil {
			ix.opts.Progress(Progress{Done: done, Total: len(srcs), Path: r.src.path, Elapsed: time.Since(start)})
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("search: add interrupted after %d of %d files: %w", st.Added+st.Updated+st.Unchanged, len(srcs), err)
	}
	if stop != nil {
		return fmt.Errorf("search: add: %w", stop)
	}
	return nil
}

// commitLocked puts an indexed document into the index, replacing its
// previous version; a nil document removes it. Callers hold ix.mu.
func (ix *Index) commitLocked(r indexed) (added, updated bool) {
	id := DocID(r.src.path)
	_, existed := ix.docs[id]
	if existed {
		ix.removeLocked(id)
	}
	if r.doc == nil {
		return false, existed
	}
	ctx := context.Background() // a commit is never cut short
	for c, text := range r.texts {
		k := Key{id, c}
		// AddDocument fails only for an empty ID or an empty document;
		// neither happens here.
		_ = ix.col.AddDocument(ctx, chromem.Document{ID: k.String(), Content: text, Embedding: r.vecs[c]})
		ix.lex.add(k, text)
	}
	ix.docs[id] = r.doc
	ix.dirty = true
	return !existed, existed
}

// removeLocked drops document id and its passages. Callers hold ix.mu.
func (ix *Index) removeLocked(id string) {
	d, ok := ix.docs[id]
	if !ok {
		return
	}
	ix.deleteChunks(id, len(d.Chunks))
	for c := range d.Chunks {
		ix.lex.remove(Key{id, c})
	}
	delete(ix.docs, id)
	ix.dirty = true
}

// storedHash returns the content hash the index holds for document id.
func (ix *Index) storedHash(id string) (string, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	d, ok := ix.docs[id]
	if !ok {
		return "", false
	}
	return d.SHA256, true
}

// indexSource reads, extracts, chunks and embeds one source.
func (ix *Index) indexSource(ctx context.Context, src source) indexed {
	r := indexed{src: src}
	if err := ctx.Err(); err != nil {
		r.err = err
		return r
	}
	id := DocID(src.path)
	old, had := ix.storedHash(id)
	d := &Document{ID: id, Path: src.path, Root: src.root, Kind: src.kind}
	var text string
	markdown := false
	switch src.kind {
	case KindGo:
		files, hash, bad := readGoPackage(src.path, src.goFiles)
		r.bad = bad
		for _, f := range files {
			r.bytes += int64(len(f.data))
		}
		if len(files) == 0 {
			return r // no package for this build context: not a document
		}
		if had && hash == old {
			r.unchanged = true
			return r
		}
		title, body, bad, err := renderGoPackage(src.goPath, files)
		r.bad = append(r.bad, bad...)
		if err != nil {
			r.bad = append(r.bad, fmt.Errorf("%s: %w", src.path, err))
			return r
		}
		d.SHA256, d.Title, text = hash, title, body
		d.ModTime = newestModTime(src.path, files).UTC()
	default:
		data, mod, err := readFile(src.path)
		if err != nil {
			r.bad = append(r.bad, err)
			r.unchanged = had // keep what the index has
			return r
		}
		r.bytes = int64(len(data))
		sum := sha256.Sum256(data)
		hash := hex.EncodeToString(sum[:])
		if had && hash == old {
			r.unchanged = true
			return r
		}
		d.SHA256, d.ModTime = hash, mod.UTC()
		switch src.kind {
		case KindHTML:
			h, err := extractHTML(bytes.NewReader(data))
			if err != nil {
				r.bad = append(r.bad, fmt.Errorf("%s: %w", src.path, err))
				r.unchanged = had
				return r
			}
			d.Title, text = h.title, h.text
		case KindMarkdown:
			text = validUTF8(data)
			d.Title, markdown = markdownTitle(text), true
		default:
			text = validUTF8(data)
		}
		if d.Title == "" {
			d.Title = fileTitle(src.path)
		}
	}
	d.Size = r.bytes
	texts, spans, err := ix.chunker.split(text, markdown)
	if err != nil {
		r.bad = append(r.bad, fmt.Errorf("%s: %w", src.path, err))
		return r
	}
	vecs, err := embedAll(ctx, ix.opts.Embedder, texts, ix.opts.EmbedBatch)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			err = cerr
		} else {
			err = fmt.Errorf("embed %s with %s: %w", src.path, ix.opts.Embedder.Name(), err)
		}
		r.err = err
		return r
	}
	d.Chunks = spans
	r.doc, r.texts, r.vecs = d, texts, vecs
	return r
}

// readFile reads a file and its modification time.
func readFile(path string) ([]byte, time.Time, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, time.Time{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, time.Time{}, err
	}
	data, err := io.ReadAll(f)
	return data, fi.ModTime(), err
}

// newestModTime returns the latest modification time of files in dir.
func newestModTime(dir string, files []goFile) time.Time {
	var t time.Time
	for _, f := range files {
		if fi, err := os.Stat(filepath.Join(dir, f.name)); err == nil && fi.ModTime().After(t) {
			t = fi.ModTime()
		}
	}
	return t
}

// validUTF8 returns data as a string with invalid UTF-8 replaced by
// U+FFFD.
func validUTF8(data []byte) string {
	if utf8.Valid(data) {
		return string(data)
	}
	return strings.ToValidUTF8(string(data), "\uFFFD")
}
