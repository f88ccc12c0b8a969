package offload

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/philippgille/chromem-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var errEmbed = errors.New("embedding service unavailable")

// probe wraps HashEmbedding (under the same embedder ID, so stores opened
// with and without it share their index): it counts calls, holds passages
// containing gate until release is closed (signalling entered first),
// and fails or panics on passages containing fail or panicOn.
type probe struct {
	calls   atomic.Int64
	gate    string
	entered chan string
	release chan struct{}
	fail    string
	panicOn string
	done    <-chan struct{}
}

func newProbe(t *testing.T) *probe {
	// The test's context ends before its cleanups run, so a test that
	// fails while the indexing is held does not leave Close stuck.
	return &probe{entered: make(chan string, 64), release: make(chan struct{}), done: t.Context().Done()}
}

func (p *probe) option() Option {
	base := HashEmbedding(DefaultDims)
	return WithEmbedding(hashEmbedderID(DefaultDims), func(ctx context.Context, text string) ([]float32, error) {
		p.calls.Add(1)
		switch {
		case p.gate != "" && strings.Contains(text, p.gate):
			p.entered <- text
			select {
			case <-p.release:
			case <-p.done:
			}
		case p.fail != "" && strings.Contains(text, p.fail):
			return nil, errEmbed
		case p.panicOn != "" && strings.Contains(text, p.panicOn):
			panic("embedder bug")
		}
		return base(ctx, text)
	})
}

// planted returns artifact content of about n bytes with fact in its
// middle.
func planted(seed uint64, n int, fact string) string {
	body := filler(seed, n)
	cut := strings.IndexByte(body[len(body)/2:], '\n') + len(body)/2 + 1
	return body[:cut] + fact + "\n" + body[cut:]
}

// topHandle searches for query and returns the best hit's handle.
func topHandle(t *testing.T, s *Store, query string) Handle {
	t.Helper()
	hits, err := s.Search(bg, query, 3)
	require.NoError(t, err)
	require.NotEmpty(t, hits, "query %q", query)
	return hits[0].Handle
}

func TestPutReturnsBeforeIndexing(t *testing.T) {
	p := newProbe(t)
	p.gate = "GATED"
	s := openStore(t, t.TempDir(), p.option(), WithCounter(countWords))
	content := planted(1, 3000, "The GATED warehouse in Rotterdam stores 4000 pallets.")
	h, err := s.Put(bg, content, Meta{Tool: "fetch"})
	require.NoError(t, err, "Put returns while the embedding is held")
	<-p.entered // the indexing goroutine is inside the embedding function

	sl, err := s.Read(h, 0, 0)
	require.NoError(t, err)
	assert.Equal(t, content, sl.Text, "the artifact reads back before it is indexed")
	meta, err := s.Stat(h)
	require.NoError(t, err)
	assert.Equal(t, "fetch", meta.Tool)

	ctx, cancel := context.WithTimeout(bg, 20*time.Millisecond)
	defer cancel()
	_, err = s.Search(ctx, "Rotterdam warehouse pallets", 3)
	assert.ErrorIs(t, err, context.DeadlineExceeded, "Search waits for the indexing, and honours its context")
	require.ErrorIs(t, s.Flush(ctx), context.DeadlineExceeded)

	type result struct {
		hits []Hit
		err  error
	}
	done := make(chan result, 1)
	go func() {
		hits, err := s.Search(bg, "Rotterdam warehouse pallets", 3)
		done <- result{hits, err}
	}()
	select {
	case r := <-done:
		t.Fatalf("Search returned before the artifact was indexed: %v %v", r.hits, r.err)
	default:
	}
	close(p.release)
	r := <-done
	require.NoError(t, r.err)
	require.NotEmpty(t, r.hits)
	assert.Equal(t, h, r.hits[0].Handle, "Search sees the artifact once indexed")
}

func TestSearchSeesEveryPriorPut(t *testing.T) {
	s := openStore(t, t.TempDir(), WithCounter(countWords))
	const n = 24
	handles := make([]Handle, n)
	var wg sync.WaitGroup
	for w := range 4 { // Puts from several goroutines, as parallel tool calls do
		wg.Go(func() {
			for i := w; i < n; i += 4 {
				h, err := s.Put(bg, planted(uint64(500+i), 6000, fmt.Sprintf("Gadget%d weighs %d grams.", i, 10+i)), Meta{})
				assert.NoError(t, err)
				handles[i] = h
			}
		})
	}
	wg.Wait()
	// No waiting of our own: Search does it.
	for i := range n {
		assert.Equal(t, handles[i], topHandle(t, s, fmt.Sprintf("gadget%d", i)))
	}
	// Interleaved Puts and Searches: each Search sees the Put just before.
	for i := range 5 {
		h, err := s.Put(bg, planted(uint64(900+i), 4000, fmt.Sprintf("Widget%d costs %d euros.", i, i)), Meta{})
		require.NoError(t, err)
		assert.Equal(t, h, topHandle(t, s, fmt.Sprintf("widget%d", i)))
	}
}

func TestIndexFailureSurfacesAndHealsOnReopen(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(p *probe)
		want func(t *testing.T, err error)
	}{
		{"error", func(p *probe) { p.fail = "Quokka" }, func(t *testing.T, err error) { assert.ErrorIs(t, err, errEmbed) }},
		{"panic", func(p *probe) { p.panicOn = "Quokka" }, func(t *testing.T, err error) { assert.ErrorContains(t, err, "panicked: embedder bug") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := newProbe(t)
			tc.set(p)
			s, err := Open(dir, p.option(), WithCounter(countWords))
			require.NoError(t, err)
			good, err := s.Put(bg, planted(1, 4000, "Wombats dig burrows three metres long."), Meta{})
			require.NoError(t, err)
			bad, err := s.Put(bg, planted(2, 4000, "Quokka colonies thrive on Rottnest Island."), Meta{})
			require.NoError(t, err, "Put does not wait for the indexing, so it cannot fail with it")
			later, err := s.Put(bg, planted(3, 4000, "Platypus venom spurs grow on the hind legs."), Meta{})
			require.NoError(t, err)

			_, err = s.Search(bg, "wombats burrows", 3)
			require.Error(t, err, "the next Search reports the failure")
			var ie *IndexError
			require.ErrorAs(t, err, &ie)
			assert.Equal(t, bad, ie.Handle)
			assert.Contains(t, err.Error(), string(bad), "the error names the artifact")
			tc.want(t, err)

			// Reported once; the other artifacts are searchable.
			assert.Equal(t, good, topHandle(t, s, "wombats burrows"))
			assert.Equal(t, later, topHandle(t, s, "platypus venom"), "the queue goes on after a failure")
			assert.NotEqual(t, bad, topHandle(t, s, "quokka colonies rottnest"))
			sl, err := s.Read(bad, 0, 0)
			require.NoError(t, err, "the artifact itself is safe")
			assert.Contains(t, sl.Text, "Quokka")
			require.NoError(t, s.Close())

			// Reopened with a working embedding, the store indexes it.
			s2 := openStore(t, dir, WithCounter(countWords))
			assert.False(t, s2.rebuilt)
			assert.Equal(t, 1, s2.caughtUp, "only the missing artifact is indexed")
			assert.Equal(t, bad, topHandle(t, s2, "quokka colonies rottnest"))
			assert.Equal(t, good, topHandle(t, s2, "wombats burrows"))
		})
	}
}

func TestCloseReportsUnreportedFailures(t *testing.T) {
	p := newProbe(t)
	p.fail = "Quokka"
	s, err := Open(t.TempDir(), p.option())
	require.NoError(t, err)
	bad, err := s.Put(bg, "Quokka colonies thrive on Rottnest Island.", Meta{})
	require.NoError(t, err)
	err = s.Close()
	var ie *IndexError
	require.ErrorAs(t, err, &ie, "a failure no Search reported is not lost")
	assert.Equal(t, bad, ie.Handle)
}

func TestCloseDrainsAndPersists(t *testing.T) {
	dir := t.TempDir()
	p := newProbe(t)
	p.gate = "GATED"
	s, err := Open(dir, p.option(), WithCounter(countWords))
	require.NoError(t, err)
	var handles []Handle
	for i := range 5 {
		fact := fmt.Sprintf("Lighthouse%d stands %d metres tall.", i, 20+i)
		if i == 0 {
			fact += " GATED"
		}
		h, err := s.Put(bg, planted(uint64(40+i), 5000, fact), Meta{})
		require.NoError(t, err)
		handles = append(handles, h)
	}
	<-p.entered // indexing is stuck on the first artifact; the rest wait behind it
	assert.Zero(t, savedPassages(t, dir), "nothing saved yet")

	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	_, err = s.Put(bg, "too late", Meta{})
	// Either Close got there first, or the Put is queued and drained.
	if err != nil {
		assert.ErrorIs(t, err, ErrClosed)
	}
	close(p.release)
	require.NoError(t, <-closed)
	goleak.VerifyNone(t)
	_, err = s.Put(bg, "after close", Meta{})
	assert.ErrorIs(t, err, ErrClosed)
	_, err = s.Search(bg, "lighthouse", 1)
	assert.ErrorIs(t, err, ErrClosed)
	assert.ErrorIs(t, s.Flush(bg), ErrClosed)
	assert.NoError(t, s.Close(), "closing twice does nothing")

	// Reopening imports the saved index: no passage is embedded again.
	p2 := newProbe(t)
	s2 := openStore(t, dir, p2.option(), WithCounter(countWords))
	assert.False(t, s2.rebuilt)
	assert.Zero(t, s2.caughtUp)
	assert.Zero(t, p2.calls.Load(), "the embedding function is not called on reopen")
	for i, h := range handles {
		assert.Equal(t, h, topHandle(t, s2, fmt.Sprintf("lighthouse%d", i)))
	}
	assert.EqualValues(t, 5, p2.calls.Load(), "only the queries were embedded")
}

func TestCrashRecovery(t *testing.T) {
	// A crash is simulated by copying the store's directory while the
	// store is open: the copy holds what a killed process leaves behind.
	tests := []struct {
		name string
		// run puts facts[i] for i in 0..3 and returns the copy.
		run      func(t *testing.T, s *Store, p *probe, put func(i int)) string
		rebuilt  bool
		caughtUp int
	}{
		{
			name: "saved only when opened",
			run: func(t *testing.T, s *Store, _ *probe, put func(int)) string {
				for i := range 4 {
					put(i)
				}
				require.NoError(t, s.waitIdle(bg))
				return copyDir(t, s.Dir())
			},
			caughtUp: 4,
		},
		{
			name: "index file lost",
			run: func(t *testing.T, s *Store, _ *probe, put func(int)) string {
				for i := range 4 {
					put(i)
				}
				require.NoError(t, s.Close())
				dir := copyDir(t, s.Dir())
				require.NoError(t, os.Remove(filepath.Join(dir, indexFile)))
				return dir
			},
			rebuilt: true,
		},
		{
			name: "saved before the last Puts",
			run: func(t *testing.T, s *Store, _ *probe, put func(int)) string {
				put(0)
				put(1)
				require.NoError(t, s.Flush(bg))
				put(2)
				put(3)
				require.NoError(t, s.waitIdle(bg))
				return copyDir(t, s.Dir())
			},
			caughtUp: 2,
		},
		{
			name: "killed while indexing",
			run: func(t *testing.T, s *Store, p *probe, put func(int)) string {
				put(0)
				require.NoError(t, s.Flush(bg))
				p.gate = "GATED"
				put(1) // its fact is gated
				put(2)
				put(3)
				<-p.entered
				dir := copyDir(t, s.Dir())
				close(p.release)
				return dir
			},
			caughtUp: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProbe(t)
			s := openStore(t, t.TempDir(), p.option(), WithCounter(countWords))
			handles := make([]Handle, 4)
			put := func(i int) {
				fact := fmt.Sprintf("Crater%d is %d kilometres wide.", i, 3+i)
				if i == 1 {
					fact += " GATED"
				}
				h, err := s.Put(bg, planted(uint64(70+i), 5000, fact), Meta{Tool: "fetch"})
				require.NoError(t, err)
				handles[i] = h
			}
			crashed := tt.run(t, s, p, put)

			p2 := newProbe(t)
			s2 := openStore(t, crashed, p2.option(), WithCounter(countWords))
			assert.Equal(t, tt.rebuilt, s2.rebuilt)
			assert.Equal(t, tt.caughtUp, s2.caughtUp)
			for i, h := range handles {
				assert.Equal(t, h, topHandle(t, s2, fmt.Sprintf("crater%d", i)), "every artifact is searchable")
				meta, err := s2.Stat(h)
				require.NoError(t, err)
				assert.Equal(t, "fetch", meta.Tool)
			}
			// The repair was saved: the next Open has nothing to do.
			require.NoError(t, s2.Close())
			p3 := newProbe(t)
			s3 := openStore(t, crashed, p3.option())
			assert.False(t, s3.rebuilt)
			assert.Zero(t, s3.caughtUp)
			assert.Zero(t, p3.calls.Load())
		})
	}
}

func TestIndexSavedAsItGrows(t *testing.T) {
	saveEvery := func(n int) Option { return func(o *options) { o.saveEvery = n } }
	passages := func(seed uint64) int { return len(chunk(filler(seed, 6000), DefaultChunkBytes, DefaultChunkOverlap)) }
	require.Less(t, passages(1), 8)
	require.GreaterOrEqual(t, passages(1)+passages(2), 8)
	s := openStore(t, t.TempDir(), WithCounter(countWords), saveEvery(8))
	put := func(seed uint64) {
		_, err := s.Put(bg, filler(seed, 6000), Meta{})
		require.NoError(t, err)
		require.NoError(t, s.waitIdle(bg))
	}
	assert.Zero(t, savedPassages(t, s.Dir()), "Open saves the (empty) index it built")
	put(1)
	assert.Zero(t, savedPassages(t, s.Dir()), "fewer passages than saveEvery: not saved yet")
	put(2)
	assert.Equal(t, passages(1)+passages(2), savedPassages(t, s.Dir()), "saveEvery passages: saved once the queue is empty")

	// A copy taken now (a crash) opens without indexing anything.
	p := newProbe(t)
	again := openStore(t, copyDir(t, s.Dir()), p.option())
	assert.False(t, again.rebuilt)
	assert.Zero(t, again.caughtUp)
	assert.Zero(t, p.calls.Load())
	assert.Equal(t, passages(1)+passages(2), again.coll.Count())
}

func TestFlush(t *testing.T) {
	s := openStore(t, t.TempDir(), WithCounter(countWords))
	h, err := s.Put(bg, planted(5, 3000, "Ferry timetables change in October."), Meta{})
	require.NoError(t, err)
	require.NoError(t, s.Flush(bg), "Flush waits for the indexing, then saves")
	fi, err := os.Stat(filepath.Join(s.Dir(), indexFile))
	require.NoError(t, err)
	require.NoError(t, s.Flush(bg))
	fi2, err := os.Stat(filepath.Join(s.Dir(), indexFile))
	require.NoError(t, err)
	assert.Equal(t, fi.ModTime(), fi2.ModTime(), "nothing changed: nothing written")

	p := newProbe(t)
	again := openStore(t, copyDir(t, s.Dir()), p.option())
	assert.Zero(t, p.calls.Load())
	assert.Equal(t, h, topHandle(t, again, "ferry timetables"))

	ctx, cancel := contextWithCancel()
	cancel()
	_, err = s.Put(bg, "more", Meta{})
	require.NoError(t, err)
	err = s.Flush(ctx)
	if err != nil { // the indexing may have finished already
		assert.ErrorIs(t, err, errCanceled)
	}
}

func TestIdleStoreHasNoGoroutine(t *testing.T) {
	s := openStore(t, t.TempDir(), WithCounter(countWords))
	_, err := s.Put(bg, filler(9, 20000), Meta{})
	require.NoError(t, err)
	require.NoError(t, s.waitIdle(bg))
	goleak.VerifyNone(t) // a store left open (never closed) leaks nothing
}

// savedPassages returns the number of passages the saved index file of
// the store in dir holds, by its header.
func savedPassages(t *testing.T, dir string) int {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, indexFile))
	require.NoError(t, err)
	lines := strings.SplitN(string(raw), "\n", 3)
	require.Len(t, lines, 3)
	require.Equal(t, indexFormat, lines[0])
	var hdr indexHeader
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &hdr))
	return hdr.Passages
}

// copyDir copies a directory tree to a new temporary directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	require.NoError(t, filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(target)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	}))
	return dst
}

var _ chromem.EmbeddingFunc = HashEmbedding(0)
