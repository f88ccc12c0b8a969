package offload

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"

	"github.com/philippgille/chromem-go"
)

// indexFormat names the layout of the index file, its first line.
const indexFormat = "deepctx-offload-index/1"

// defaultSaveEvery is how many passages the indexing goroutine adds
// before it saves the index on its own, once the queue is empty (see
// Store.maybeSave): 8 MB of 1024-dimension vectors in memory, and well
// under a second of re-indexing by Open after a crash (with
// HashEmbedding).
const defaultSaveEvery = 2000

// IndexError reports an artifact that was stored but could not be indexed
// for search, because the embedding function failed or panicked. The
// artifact itself is safe, and Read finds it; Search does not, until the
// store is next opened, which indexes it again. Search reports it once
// (and Close, if no Search did).
type IndexError struct {
	// Handle names the artifact.
	Handle Handle
	// Err is what went wrong.
	Err error
}

func (e *IndexError) Error() string {
	return fmt.Sprintf("offload: indexing %s failed, so search misses it until the store is reopened: %v", e.Handle, e.Err)
}

func (e *IndexError) Unwrap() error { return e.Err }

// indexSettings is what an index was built with; an index built with
// other settings is rebuilt when the store opens.
type indexSettings struct {
	Embedder string `json:"embedder"`
	Chunk    int    `json:"chunk_bytes"`
	Overlap  int    `json:"overlap_bytes"`
}

// indexHeader is the first line of the index file after the format line,
// in JSON. chromem-go's export of the database follows it.
type indexHeader struct {
	indexSettings
	// Passages is the number of passages in the index.
	Passages int `json:"passages"`
	// Artifacts maps each artifact in the index to its passage count.
	Artifacts map[Handle]int `json:"artifacts"`
}

// job is an artifact waiting to be indexed.
type job struct {
	ctx     context.Context
	h       Handle
	content string
	spans   []span
}

// enqueue queues an artifact for indexing, starting the indexing
// goroutine if it is not running. Called by Put with s.mu held, so jobs
// are queued in the order their sidecars were written.
func (s *Store) enqueue(j job) {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	s.queue = append(s.queue, j)
	s.enqueued++
	if !s.running {
		s.running = true
		go s.work()
	}
}

// work indexes queued artifacts in order until the queue is empty, saves
// the index if enough was added since the last save, and exits; enqueue
// starts it again. At most one runs at a time, so an idle store has no
// goroutine.
func (s *Store) work() {
	for {
		s.qmu.Lock()
		if len(s.queue) == 0 {
			s.qmu.Unlock()
			s.maybeSave()
			s.qmu.Lock()
			if len(s.queue) == 0 { // nothing came in while saving
				s.running = false
				s.queue = nil
				s.notifyLocked()
				s.qmu.Unlock()
				return
			}
		}
		j := s.queue[0]
		s.queue[0] = job{} // let the content go once indexed
		s.queue = s.queue[1:]
		s.qmu.Unlock()

		err := s.indexArtifact(j.ctx, j.h, j.content, j.spans)

		s.qmu.Lock()
		if err != nil {
			s.failures = append(s.failures, &IndexError{Handle: j.h, Err: err})
		}
		s.finished++
		s.notifyLocked()
		s.qmu.Unlock()
	}
}

// notifyLocked wakes everyone waiting for progress. Callers hold s.qmu.
func (s *Store) notifyLocked() {
	close(s.progress)
	s.progress = make(chan struct{})
}

// queued returns the number of jobs queued so far, the target of
// waitIndexed for "everything put before now".
func (s *Store) queued() uint64 {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	return s.enqueued
}

// waitIndexed waits until the first target jobs are done, or ctx is.
func (s *Store) waitIndexed(ctx context.Context, target uint64) error {
	return s.waitFor(ctx, func() bool { return s.finished >= target })
}

// waitIdle waits until the indexing goroutine has emptied the queue and
// exited, or ctx is done.
func (s *Store) waitIdle(ctx context.Context) error {
	return s.waitFor(ctx, func() bool { return !s.running })
}

// waitFor waits until done, called with s.qmu held, reports true.
func (s *Store) waitFor(ctx context.Context, done func() bool) error {
	for {
		s.qmu.Lock()
		ok, ch := done(), s.progress
		s.qmu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// takeFailures returns the indexing failures not yet reported, and
// forgets them.
func (s *Store) takeFailures() []error {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	f := s.failures
	s.failures = nil
	return f
}

// indexArtifact chunks content (as spans says), embeds the passages and
// adds them to the index, all or nothing. An error or a panic of the
// embedding function becomes an error.
func (s *Store) indexArtifact(ctx context.Context, h Handle, content string, spans []span) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("embedding function panicked: %v", r)
		}
	}()
	docs := make([]chromem.Document, len(spans))
	for i, sp := range spans {
		v, err := s.opts.embed(ctx, content[sp.start:sp.end])
		if err != nil {
			return fmt.Errorf("embed passage %d: %w", i, err)
		}
		docs[i] = chromem.Document{
			ID:        chunkID(h, i),
			Embedding: v,
			Metadata: map[string]string{
				"handle": string(h),
				"offset": strconv.Itoa(sp.start),
				"length": strconv.Itoa(sp.end - sp.start),
			},
		}
	}
	s.imu.Lock()
	defer s.imu.Unlock()
	for i := range docs {
		if err := s.coll.AddDocument(context.Background(), docs[i]); err != nil {
			s.unindex(h, i)
			return fmt.Errorf("add passage %d: %w", i, err)
		}
	}
	s.indexed[h] = len(docs)
	s.unsaved += len(docs)
	s.dirty = true
	return nil
}

// unindex removes the first n passages of an artifact that could not be
// indexed whole. Callers hold s.imu.
func (s *Store) unindex(h Handle, n int) {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = chunkID(h, i)
	}
	if len(ids) > 0 {
		_ = s.coll.Delete(context.Background(), nil, nil, ids...)
	}
}

// chunkID is the index ID of passage i of an artifact. The index is a
// map from ID to passage, saved whole into one file, so IDs need only be
// distinct (chromem-go's persistent DB, which named a file after 32 bits
// of an ID's hash, needed more).
func chunkID(h Handle, i int) string { return h.digits() + ":" + strconv.Itoa(i) }

// maybeSave saves the index if the passages added since the last save
// reach saveEvery, or a quarter of the index if that is more: a save
// writes the whole index, so spacing saves in proportion to its size
// keeps their total cost linear in it. A failure is left for the next
// save (at the latest Close's) to report.
func (s *Store) maybeSave() {
	s.imu.Lock()
	defer s.imu.Unlock()
	if s.unsaved >= max(s.opts.saveEvery, s.coll.Count()/4) {
		_ = s.saveIndex()
	}
}

// saveIfDirty saves the index if it changed since the last save. Callers
// hold s.imu.
func (s *Store) saveIfDirty() error {
	if !s.dirty {
		return nil
	}
	return s.saveIndex()
}

// saveIndex writes the index to indexFile atomically: a line naming the
// format, a line of JSON (indexHeader) and chromem-go's export of the
// database. Callers hold s.imu, which keeps the collection from changing
// while chromem-go encodes it.
func (s *Store) saveIndex() error {
	hdr := indexHeader{indexSettings: s.settings(), Passages: s.coll.Count(), Artifacts: s.indexed}
	line, err := json.Marshal(hdr)
	if err != nil {
		return err
	}
	if err := s.root.MkdirAll(indexDir, 0o700); err != nil {
		return err
	}
	err = s.writeAtomic(indexFile, true, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<16)
		bw.WriteString(indexFormat + "\n")
		bw.Write(line)
		bw.WriteByte('\n')
		if err := s.db.ExportToWriter(bw, false, "", collectionName); err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil {
		return err
	}
	s.unsaved, s.dirty = 0, false
	return nil
}

// readIndex loads the saved index, if it was built with want and holds
// the passages its header says.
func (s *Store) readIndex(want indexSettings) (*chromem.DB, *chromem.Collection, map[Handle]int, error) {
	f, err := s.root.Open(indexFile)
	if err != nil {
		return nil, nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, nil, err
	}
	br := bufio.NewReader(f)
	format, err := br.ReadString('\n')
	if err != nil || format != indexFormat+"\n" {
		return nil, nil, nil, fmt.Errorf("not an index file of format %s", indexFormat)
	}
	line, err := br.ReadBytes('\n')
	if err != nil {
		return nil, nil, nil, err
	}
	var hdr indexHeader
	if err := json.Unmarshal(line, &hdr); err != nil {
		return nil, nil, nil, err
	}
	if hdr.indexSettings != want {
		return nil, nil, nil, fmt.Errorf("index built with %+v, not %+v", hdr.indexSettings, want)
	}
	total := 0
	for _, n := range hdr.Artifacts {
		total += n
	}
	if total != hdr.Passages {
		return nil, nil, nil, fmt.Errorf("index header counts %d passages, its artifacts %d", hdr.Passages, total)
	}
	db := chromem.NewDB()
	start := int64(len(format) + len(line))
	if err := db.ImportFromReader(io.NewSectionReader(f, start, fi.Size()-start), "", collectionName); err != nil {
		return nil, nil, nil, err
	}
	coll := db.GetCollection(collectionName, s.opts.embed)
	if coll == nil {
		return nil, nil, nil, errors.New("index has no collection")
	}
	if n := coll.Count(); n != hdr.Passages {
		return nil, nil, nil, fmt.Errorf("index holds %d passages, its header says %d", n, hdr.Passages)
	}
	if hdr.Artifacts == nil {
		hdr.Artifacts = map[Handle]int{}
	}
	return db, coll, hdr.Artifacts, nil
}

func (s *Store) settings() indexSettings {
	return indexSettings{Embedder: s.opts.embedderID, Chunk: s.opts.chunk, Overlap: s.opts.overlap}
}

// load scans the artifacts, loads the saved index and repairs what is
// out of step: artifacts the index lacks are indexed, and an index that
// cannot be trusted is rebuilt. Called by Open only, before any other
// goroutine can see the store.
func (s *Store) load() error {
	if err := s.root.MkdirAll(objectsDir, 0o700); err != nil {
		return fmt.Errorf("offload: open %s: %w", s.dir, err)
	}
	scs, err := s.scan()
	if err != nil {
		return err
	}
	s.removeTemps(indexDir)
	if s.consistent(scs) {
		return s.catchUp(scs)
	}
	return s.rebuild(scs)
}

// consistent loads the saved index and reports whether it can be
// trusted: readable, built with the store's settings, and every artifact
// in it has a sidecar agreeing on its passage count. Artifacts missing
// from it are fine: they were stored after it was last saved.
func (s *Store) consistent(scs []sidecar) bool {
	byHandle := make(map[Handle]int, len(scs))
	for _, sc := range scs {
		if sc.Chunks < 0 {
			return false // a recovered sidecar: rebuild, as it says
		}
		byHandle[sc.Handle] = sc.Chunks
	}
	db, coll, indexed, err := s.readIndex(s.settings())
	if err != nil {
		return false
	}
	for h, n := range indexed {
		if m, ok := byHandle[h]; !ok || m != n {
			return false
		}
	}
	s.db, s.coll, s.indexed = db, coll, indexed
	return true
}

// catchUp indexes the artifacts the loaded index lacks, and saves it if
// there were any.
func (s *Store) catchUp(scs []sidecar) error {
	for _, sc := range scs {
		if _, ok := s.indexed[sc.Handle]; ok {
			continue
		}
		if err := s.reindex(sc); err != nil {
			return err
		}
		s.caughtUp++
	}
	if err := s.saveIfDirty(); err != nil {
		return fmt.Errorf("offload: open %s: save index: %w", s.dir, err)
	}
	return nil
}

// rebuild recreates the index from the artifacts and saves it.
func (s *Store) rebuild(scs []sidecar) error {
	if err := s.root.RemoveAll(indexDir); err != nil {
		return fmt.Errorf("offload: rebuild index: %w", err)
	}
	db := chromem.NewDB()
	coll, err := db.CreateCollection(collectionName, nil, s.opts.embed)
	if err != nil {
		return fmt.Errorf("offload: rebuild index: %w", err)
	}
	s.db, s.coll, s.indexed, s.rebuilt = db, coll, map[Handle]int{}, true
	for _, sc := range scs {
		if err := s.reindex(sc); err != nil {
			return err
		}
	}
	s.dirty = true // even an empty index is worth saving: it is trusted next time
	if err := s.saveIndex(); err != nil {
		return fmt.Errorf("offload: rebuild index: save: %w", err)
	}
	return nil
}

// reindex indexes a stored artifact at once, rewriting its sidecar if
// its passage count was unknown or differs. Called by Open only.
func (s *Store) reindex(sc sidecar) error {
	h := sc.Handle
	sl, err := s.Read(h, 0, 0)
	if err != nil {
		return fmt.Errorf("offload: index %s: %w", h, err)
	}
	spans := chunk(sl.Text, s.opts.chunk, s.opts.overlap)
	if err := s.indexArtifact(context.Background(), h, sl.Text, spans); err != nil {
		return fmt.Errorf("offload: index %s: %w", h, err)
	}
	if sc.Chunks != len(spans) {
		sc.Chunks = len(spans)
		if err := s.writeSidecar(sc); err != nil {
			return fmt.Errorf("offload: index %s: %w", h, err)
		}
	}
	return nil
}

// removeTemps removes leftover temporary files in dir, if it exists.
func (s *Store) removeTemps(dir string) {
	entries, err := fs.ReadDir(s.root.FS(), dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			_ = s.root.Remove(dir + "/" + e.Name())
		}
	}
}
