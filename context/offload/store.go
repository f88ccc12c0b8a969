package offload

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/philippgille/chromem-go"

	"github.com/deepctx/deepctx/context/tokens"
)

// Layout of a store's directory.
const (
	objectsDir     = "objects"             // objects/<2 hex>/<16 hex> and <16 hex>.json
	indexDir       = "index"               // the saved index
	indexFile      = "index/artifacts.idx" // see saveIndex
	collectionName = "artifacts"
	tmpPrefix      = ".tmp-"
)

// Defaults of the store's options.
const (
	// DefaultChunkBytes is the target size of an indexed passage.
	DefaultChunkBytes = 1500
	// DefaultChunkOverlap is how much of the end of a passage the next
	// one repeats, so a fact cut by a chunk boundary is still found whole.
	DefaultChunkOverlap = 200
	// previewBytes bounds a search hit's preview.
	previewBytes = 320
)

// Meta describes an artifact. The caller fills in where the content came
// from; the store fills in the rest when the artifact is first stored.
type Meta struct {
	// Tool is the name of the tool whose result this is. Optional.
	Tool string `json:"tool,omitempty"`
	// CallID is the tool call the result answers. Optional.
	CallID string `json:"call_id,omitempty"`
	// Provenance says where the content came from (a URL, a query, a
	// sub-agent). Optional.
	Provenance string `json:"provenance,omitempty"`
	// Tokens is the size of the content in tokens. Optional in Put: a
	// positive value is kept as the caller counted it, otherwise the
	// store counts it with its Counter.
	Tokens int `json:"tokens"`

	// Handle names the artifact. Set by the store.
	Handle Handle `json:"handle"`
	// SHA256 is the hex SHA-256 of the content. Set by the store.
	SHA256 string `json:"sha256"`
	// Bytes is the size of the content in bytes. Set by the store.
	Bytes int `json:"bytes"`
	// Created is when the artifact was first stored. Set by the store.
	Created time.Time `json:"created"`
}

// sidecar is the JSON file stored next to each artifact: its Meta plus
// how it is indexed.
type sidecar struct {
	Meta
	// Chunks is the number of passages the artifact is indexed as, under
	// the store's chunking; -1 for a sidecar rebuilt by recoverSidecar.
	Chunks int `json:"chunks"`
}

// Option configures Open.
type Option func(*options)

type options struct {
	counter    tokens.Counter
	chunk      int
	overlap    int
	embedderID string
	embed      chromem.EmbeddingFunc
	// saveEvery is how many passages the worker indexes before it saves
	// the index on its own (see Store.maybeSave).
	saveEvery int
}

// WithCounter sets how Put counts an artifact's tokens when the caller
// does not say. Optional. Defaults to the o200k_base encoder (GPT-4o and
// later).
func WithCounter(c tokens.Counter) Option { return func(o *options) { o.counter = c } }

// WithChunking sets the target size in bytes of the passages the index
// holds and how many bytes of each passage the next one repeats. Optional.
// Defaults to DefaultChunkBytes and DefaultChunkOverlap. Sizes below 64
// bytes are raised to 64; the overlap is capped at a third of the size.
// Changing them rebuilds the index on the next Open.
func WithChunking(bytes, overlap int) Option {
	return func(o *options) { o.chunk, o.overlap = bytes, overlap }
}

// WithEmbedding sets the embedding function of the index and an id naming
// its vector space; opening a store whose index was built under another id
// rebuilds the index. fn must return L2-normalized vectors of one fixed
// size. It is called from the store's indexing goroutine (and by Open
// when it repairs the index) with the context of the Put, stripped of
// its cancellation; an error or a panic leaves that artifact out of the
// index until the store is next opened (see IndexError). Optional.
// Defaults to HashEmbedding(DefaultDims), which is local and
// deterministic.
func WithEmbedding(id string, fn chromem.EmbeddingFunc) Option {
	return func(o *options) { o.embedderID, o.embed = id, fn }
}

// Store keeps artifacts: content-addressed files under one directory, each
// with a JSON metadata sidecar, indexed for search in an in-memory
// chromem-go database that is saved to a single file under the same
// directory. Artifacts are immutable: once stored, a handle always reads
// the same bytes.
//
// Put stores an artifact durably and returns at once; a goroutine of the
// store indexes the artifacts in the order they were put, and Search
// waits for it to catch up, so it sees every artifact put before it. The
// index is saved when the store is closed, on Flush, and now and then as
// it grows; if the process dies before that, Open indexes the artifacts
// the saved index lacks (or rebuilds it), so nothing is lost but time.
//
// A Store is safe for concurrent use; only one Store should have a
// directory open at a time. Close it when done: Close waits for the
// indexing to finish and saves the index.
type Store struct {
	dir  string
	root *os.Root
	opts options

	mu     sync.Mutex // serializes Put, and Put with Close
	closed atomic.Bool

	// The index. imu serializes changes to it and its saving; Search
	// queries coll without it (chromem-go locks the collection itself).
	// Once Open returns, only the indexing goroutine changes it.
	imu  sync.Mutex
	db   *chromem.DB
	coll *chromem.Collection
	// indexed maps each artifact in the index to its passage count: the
	// saved index's manifest.
	indexed map[Handle]int
	unsaved int  // passages indexed since the index was last saved
	dirty   bool // the index changed since it was last saved

	// The indexing queue, guarded by qmu (taken after mu, never with imu).
	qmu      sync.Mutex
	queue    []job
	running  bool          // a goroutine is working through the queue
	enqueued uint64        // jobs ever queued
	finished uint64        // jobs done (indexed or failed)
	progress chan struct{} // closed and replaced whenever finished or running changes
	failures []error       // indexing failures not yet reported, *IndexError

	tmpSeq atomic.Uint64
	// rebuilt reports whether Open had to rebuild the whole index;
	// caughtUp is the number of artifacts Open indexed because the saved
	// index lacked them.
	rebuilt  bool
	caughtUp int
}

// Open opens the store in dir, creating dir if needed. It loads the saved
// index and checks it against the artifacts: artifacts stored after the
// index was last saved (the process died before Close, say) are indexed
// again; an index that is missing, unreadable, built with other settings
// or otherwise out of step with the artifacts is rebuilt from them.
// Artifacts whose metadata sidecar is missing get a new one. Leftover
// temporary files are removed. Nothing else in dir is ever deleted.
func Open(dir string, opts ...Option) (*Store, error) {
	o := options{chunk: DefaultChunkBytes, overlap: DefaultChunkOverlap, saveEvery: defaultSaveEvery}
	for _, opt := range opts {
		opt(&o)
	}
	if o.counter == nil {
		if enc, err := tokens.EncoderFor(tokens.O200kBase); err == nil {
			o.counter = enc
		} else {
			o.counter = tokens.CounterFunc(func(s string) int { return (len(s) + 3) / 4 })
		}
	}
	if o.embed == nil {
		o.embedderID, o.embed = hashEmbedderID(DefaultDims), HashEmbedding(DefaultDims)
	}
	o.chunk = max(o.chunk, 64)
	o.overlap = min(max(o.overlap, 0), o.chunk/3)
	o.saveEvery = max(o.saveEvery, 1)

	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("offload: open %s: %w", dir, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("offload: open %s: %w", dir, err)
	}
	s := &Store{dir: dir, root: root, opts: o, progress: make(chan struct{})}
	if err := s.load(); err != nil {
		root.Close()
		return nil, err
	}
	return s, nil
}

// Close waits until every artifact put is indexed, saves the index,
// and releases the store's directory. It returns the indexing failures
// no Search has reported yet (see IndexError), and any error saving the
// index; the artifacts are safe either way. The store must not be used
// after; closing it again does nothing.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed.Swap(true) {
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock() // no Put gets past its closed check from now on
	_ = s.waitIdle(context.Background())
	s.imu.Lock()
	err := s.saveIfDirty()
	s.imu.Unlock()
	if err != nil {
		err = fmt.Errorf("offload: close %s: save index: %w", s.dir, err)
	}
	errs := append(s.takeFailures(), err)
	if err := s.root.Close(); err != nil {
		errs = append(errs, fmt.Errorf("offload: close %s: %w", s.dir, err))
	}
	return errors.Join(errs...)
}

// Flush saves the index to disk once every artifact put before the call
// is indexed, so that the next Open need not index them again. Close
// does it too; Flush is for long-lived stores that want a checkpoint. It
// returns ctx's error if ctx is done first (the indexing goes on).
// Indexing failures are left for Search to report.
func (s *Store) Flush(ctx context.Context) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if err := s.waitIndexed(ctx, s.queued()); err != nil {
		return err
	}
	s.imu.Lock()
	defer s.imu.Unlock()
	if err := s.saveIfDirty(); err != nil {
		return fmt.Errorf("offload: flush %s: %w", s.dir, err)
	}
	return nil
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// Put stores content and returns its handle. It is idempotent: content
// already stored returns the same handle at once, keeping the metadata of
// the first Put. The content file and its sidecar are written atomically
// (temporary file, fsync, rename) before Put returns, so the artifact is
// durable and Read and Stat find it at once. Indexing it for Search
// (chunking, embedding) is left to the store's indexing goroutine, and
// Search waits for it; an indexing failure is reported by the next
// Search (see IndexError). meta's Tool, CallID, Provenance and Tokens are
// recorded (see Meta); the rest is set by the store. A ctx done before
// Put starts gives ctx's error and stores nothing; a closed store gives
// ErrClosed.
func (s *Store) Put(ctx context.Context, content string, meta Meta) (Handle, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(content))
	h := Handle(HandlePrefix + hex.EncodeToString(sum[:handleHexLen/2]))
	full := hex.EncodeToString(sum[:])

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return "", ErrClosed
	}
	if sc, err := s.readSidecar(h); err == nil {
		if sc.SHA256 != full {
			return "", fmt.Errorf("%w: %s already holds other content", ErrCollision, h)
		}
		return h, nil
	} else if !errors.Is(err, ErrNotFound) {
		return "", err
	}

	if err := s.root.MkdirAll(path.Dir(h.contentPath()), 0o700); err != nil {
		return "", fmt.Errorf("offload: put %s: %w", h, err)
	}
	// The directory is synced once, after the sidecar's rename: a crash
	// in between leaves content without a sidecar, which Open recovers.
	if err := s.writeAtomic(h.contentPath(), false, func(w io.Writer) error {
		_, err := io.WriteString(w, content)
		return err
	}); err != nil {
		return "", fmt.Errorf("offload: put %s: %w", h, err)
	}
	if meta.Tokens <= 0 {
		meta.Tokens = s.opts.counter.Count(content)
	}
	meta.Handle, meta.SHA256, meta.Bytes, meta.Created = h, full, len(content), time.Now().UTC()
	spans := chunk(content, s.opts.chunk, s.opts.overlap)
	if err := s.writeSidecar(sidecar{Meta: meta, Chunks: len(spans)}); err != nil {
		return "", fmt.Errorf("offload: put %s: %w", h, err)
	}
	// The job keeps ctx's values (for tracing, say) but not its deadline:
	// the caller's request may well end before the indexing does.
	s.enqueue(job{ctx: context.WithoutCancel(ctx), h: h, content: content, spans: spans})
	return h, nil
}

// Stat returns the metadata of the artifact h names.
func (s *Store) Stat(h Handle) (Meta, error) {
	if _, err := ParseHandle(string(h)); err != nil {
		return Meta{}, err
	}
	sc, err := s.readSidecar(h)
	if err != nil {
		return Meta{}, err
	}
	return sc.Meta, nil
}

// Slice is part of an artifact, as Read returns it.
type Slice struct {
	// Text is the content from Offset to Next.
	Text string `json:"text"`
	// Offset is where Text starts, in bytes from the start of the content.
	Offset int `json:"offset"`
	// Next is where Text ends: the offset to read from next.
	Next int `json:"next"`
	// Total is the size of the whole content in bytes.
	Total int `json:"total"`
	// More reports whether content follows Text (Next < Total).
	More bool `json:"more"`
}

// Read returns up to limit bytes of the artifact h names, starting at byte
// offset; limit <= 0 reads to the end. Offsets count bytes of the UTF-8
// content, so a model can page through any artifact, even one long line
// of minified JSON, with offsets that search hits share. Both ends snap to
// rune boundaries so Text is never cut inside a character: the start
// moves back to the beginning of the rune it falls in, the end moves back
// to the end of the last whole rune (but a slice holds at least one rune).
// Reading from each slice's Next therefore reproduces the content byte
// for byte. Read reads only the bytes it returns (plus at most a few
// around them), however big the artifact.
//
// An offset below 0 or beyond Total gives ErrBadRange; an offset equal to
// Total gives an empty slice. A malformed handle gives ErrInvalidHandle,
// an unknown one ErrNotFound, an artifact file that is a symbolic link or
// resolves outside the store ErrUnsafePath.
func (s *Store) Read(h Handle, offset, limit int) (Slice, error) {
	if _, err := ParseHandle(string(h)); err != nil {
		return Slice{}, err
	}
	f, size, err := s.openContent(h)
	if err != nil {
		return Slice{}, err
	}
	defer f.Close()
	if offset < 0 || offset > size {
		return Slice{}, fmt.Errorf("%w: offset %d of artifact %s, whose size is %d bytes", ErrBadRange, offset, h, size)
	}
	end := size
	if limit > 0 && limit < size-offset {
		end = offset + limit
	}
	// Read a few bytes either side, to see rune boundaries.
	lo, hi := max(offset-(3), 0), min(end+4, size)
	buf := make([]byte, hi-lo)
	if _, err := f.ReadAt(buf, int64(lo)); err != nil && !errors.Is(err, io.EOF) {
		return Slice{}, fmt.Errorf("offload: read %s: %w", h, err)
	}
	at := func(i int) byte { return buf[i-lo] }
	start := offset
	for k := 0; k < 3 && start > lo && start < size && isCont(at(start)); k++ {
		start--
	}
	for k := 0; k < 3 && end > start && end < size && isCont(at(end)); k++ {
		end--
	}
	if end == start && start < size {
		end = start + 1
		for k := 0; k < 3 && end < hi && isCont(at(end)); k++ {
			end++
		}
	}
	return Slice{Text: string(buf[start-lo : end-lo]), Offset: start, Next: end, Total: size, More: end < size}, nil
}

func isCont(b byte) bool { return b&0xC0 == 0x80 }

// openContent opens the content file of a valid handle, refusing anything
// but a regular file inside the store.
func (s *Store) openContent(h Handle) (*os.File, int, error) {
	name := h.contentPath()
	fi, err := s.root.Lstat(name)
	if err != nil {
		return nil, 0, s.fileErr(h, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, 0, fmt.Errorf("%w: %s (%s)", ErrUnsafePath, h, fi.Mode().Type())
	}
	f, err := s.root.Open(name)
	if err != nil {
		return nil, 0, s.fileErr(h, err)
	}
	fi, err = f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, 0, fmt.Errorf("%w: %s", ErrUnsafePath, h)
	}
	return f, int(fi.Size()), nil
}

// fileErr maps an error opening an artifact's file to the package's
// errors: missing is ErrNotFound, anything the root refuses ErrUnsafePath.
func (s *Store) fileErr(h Handle, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s", ErrNotFound, h)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && strings.Contains(pe.Err.Error(), "escapes") {
		return fmt.Errorf("%w: %s: %v", ErrUnsafePath, h, err)
	}
	return fmt.Errorf("offload: %s: %w", h, err)
}

func (s *Store) readSidecar(h Handle) (sidecar, error) {
	name := h.metaPath()
	fi, err := s.root.Lstat(name)
	if err != nil {
		return sidecar{}, s.fileErr(h, err)
	}
	if !fi.Mode().IsRegular() {
		return sidecar{}, fmt.Errorf("%w: %s metadata (%s)", ErrUnsafePath, h, fi.Mode().Type())
	}
	data, err := s.root.ReadFile(name)
	if err != nil {
		return sidecar{}, s.fileErr(h, err)
	}
	var sc sidecar
	if err := json.Unmarshal(data, &sc); err != nil {
		return sidecar{}, fmt.Errorf("offload: metadata of %s: %w", h, err)
	}
	if sc.Handle != h {
		return sidecar{}, fmt.Errorf("offload: metadata of %s names %q", h, sc.Handle)
	}
	return sc, nil
}

func (s *Store) writeSidecar(sc sidecar) error {
	data, err := json.MarshalIndent(sc, "", "  ")
	if err != nil {
		return err
	}
	return s.writeAtomic(sc.Handle.metaPath(), true, func(w io.Writer) error {
		_, err := w.Write(append(data, '\n'))
		return err
	})
}

// writeAtomic writes name (relative to the store) through a temporary
// file in the same directory: write, fsync, rename, and with syncDir
// fsync the directory, which makes the rename durable. Readers see the
// old file or the complete new one, never a part.
func (s *Store) writeAtomic(name string, syncDir bool, write func(io.Writer) error) (err error) {
	dir, base := path.Split(name)
	tmp := fmt.Sprintf("%s%s%s-%d-%d", dir, tmpPrefix, base, os.Getpid(), s.tmpSeq.Add(1))
	f, err := s.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			_ = s.root.Remove(tmp)
		}
	}()
	if err = write(f); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = s.root.Rename(tmp, name); err != nil {
		return err
	}
	if !syncDir {
		return nil
	}
	if d, derr := s.root.Open(path.Clean(dir)); derr == nil {
		_ = d.Sync() // not supported everywhere; the rename is what matters
		d.Close()
	}
	return nil
}

// scan reads every artifact's sidecar, and removes leftover temporary
// files. An artifact whose sidecar is missing or unreadable gets a new
// one (see recoverSidecar). The result is sorted by handle.
func (s *Store) scan() ([]sidecar, error) {
	fsys := s.root.FS()
	shards, err := fs.ReadDir(fsys, objectsDir)
	if err != nil {
		return nil, fmt.Errorf("offload: open %s: %w", s.dir, err)
	}
	var scs []sidecar
	for _, shard := range shards {
		if !shard.IsDir() || len(shard.Name()) != 2 {
			continue
		}
		dir := objectsDir + "/" + shard.Name()
		entries, err := fs.ReadDir(fsys, dir)
		if err != nil {
			return nil, fmt.Errorf("offload: open %s: %w", s.dir, err)
		}
		for _, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, tmpPrefix) {
				_ = s.root.Remove(dir + "/" + name)
				continue
			}
			if !e.Type().IsRegular() {
				continue
			}
			h, err := ParseHandle(HandlePrefix + name)
			if err != nil || h.digits()[:2] != shard.Name() {
				continue // sidecars, and files that are not ours
			}
			sc, err := s.readSidecar(h)
			if err != nil { // missing, unreadable or not a regular file
				if sc, err = s.recoverSidecar(h); err != nil {
					continue // not an artifact: its name is not its hash
				}
			}
			scs = append(scs, sc)
		}
	}
	slices.SortFunc(scs, func(a, b sidecar) int { return strings.Compare(string(a.Handle), string(b.Handle)) })
	return scs, nil
}

// recoverSidecar builds the metadata of an artifact whose Put stopped
// before writing it (or whose sidecar was damaged), if the content's hash
// matches its name; what the caller said about it (tool, call) is lost.
// Its Chunks is -1, which makes load rebuild the index, and the rebuild
// writes the new sidecar.
func (s *Store) recoverSidecar(h Handle) (sidecar, error) {
	f, size, err := s.openContent(h)
	if err != nil {
		return sidecar{}, err
	}
	defer f.Close()
	hash := sha256.New()
	if _, err := io.Copy(hash, f); err != nil {
		return sidecar{}, err
	}
	full := hex.EncodeToString(hash.Sum(nil))
	if full[:handleHexLen] != h.digits() {
		return sidecar{}, fmt.Errorf("offload: %s: content does not match its handle", h)
	}
	fi, _ := f.Stat()
	return sidecar{Meta: Meta{Handle: h, SHA256: full, Bytes: size, Created: fi.ModTime().UTC(), Provenance: "recovered"}, Chunks: -1}, nil
}
