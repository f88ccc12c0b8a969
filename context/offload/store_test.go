package offload

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/philippgille/chromem-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPutReadRoundTrip(t *testing.T) {
	s := openStore(t, t.TempDir())
	content := "line one\nline two — with a dash\nzwölf Äpfel 🍎 end\n"
	h, err := s.Put(bg, content, Meta{Tool: "fetch", CallID: "c1", Provenance: "https://example.com"})
	require.NoError(t, err)
	assert.Equal(t, HandleOf(content), h)
	assert.Regexp(t, `^art_[0-9a-f]{16}$`, string(h))

	tests := []struct {
		name           string
		offset, limit  int
		want           string
		wantOff, wantN int
		more           bool
	}{
		{name: "whole", offset: 0, limit: 0, want: content, wantOff: 0, wantN: len(content)},
		{name: "limit past end", offset: 0, limit: 1 << 20, want: content, wantOff: 0, wantN: len(content)},
		{name: "first line", offset: 0, limit: 9, want: "line one\n", wantOff: 0, wantN: 9, more: true},
		{name: "middle", offset: 9, limit: 8, want: "line two", wantOff: 9, wantN: 17, more: true},
		{name: "at end", offset: len(content), limit: 10, want: "", wantOff: len(content), wantN: len(content)},
		// "—" is 3 bytes at 18..20: an end inside it moves back before it.
		{name: "end inside rune", offset: 9, limit: 11, want: "line two ", wantOff: 9, wantN: 18, more: true},
		// A start inside it moves back to its first byte; the end stays at
		// offset+limit.
		{name: "start inside rune", offset: 19, limit: 4, want: "— w", wantOff: 18, wantN: 23, more: true},
		// A limit smaller than the rune still returns the whole rune.
		{name: "limit below rune", offset: 18, limit: 1, want: "—", wantOff: 18, wantN: 21, more: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sl, err := s.Read(h, tt.offset, tt.limit)
			require.NoError(t, err)
			assert.Equal(t, tt.want, sl.Text)
			assert.Equal(t, tt.wantOff, sl.Offset)
			assert.Equal(t, tt.wantN, sl.Next)
			assert.Equal(t, len(content), sl.Total)
			assert.Equal(t, tt.more, sl.More)
			assert.True(t, utf8.ValidString(sl.Text))
		})
	}

	for _, limit := range []int{1, 2, 3, 5, 7, 64} {
		assert.Equal(t, content, readAll(t, s, h, limit), "paging by %d bytes reproduces the content", limit)
	}

	empty, err := s.Put(bg, "", Meta{})
	require.NoError(t, err)
	sl, err := s.Read(empty, 0, 10)
	require.NoError(t, err)
	assert.Equal(t, Slice{}, sl, "the empty artifact reads as empty")

	_, err = s.Read(h, -1, 10)
	assert.ErrorIs(t, err, ErrBadRange)
	_, err = s.Read(h, len(content)+1, 10)
	assert.ErrorIs(t, err, ErrBadRange)
	_, err = s.Read(HandleOf("never stored"), 0, 10)
	assert.ErrorIs(t, err, ErrNotFound)
}

func TestPutMetadataAndIdempotence(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, WithCounter(countWords))
	content := filler(1, 5000)
	h1, err := s.Put(bg, content, Meta{Tool: "search", CallID: "call_1", Provenance: "q=solar"})
	require.NoError(t, err)
	files := listFiles(t, dir)

	h2, err := s.Put(bg, content, Meta{Tool: "other", CallID: "call_2"})
	require.NoError(t, err)
	assert.Equal(t, h1, h2, "identical content gets the same handle")
	assert.Equal(t, files, listFiles(t, dir), "a repeated Put writes nothing")

	meta, err := s.Stat(h1)
	require.NoError(t, err)
	sum := sha256.Sum256([]byte(content))
	assert.Equal(t, "search", meta.Tool, "the first Put's metadata is kept")
	assert.Equal(t, "call_1", meta.CallID)
	assert.Equal(t, "q=solar", meta.Provenance)
	assert.Equal(t, h1, meta.Handle)
	assert.Equal(t, hex.EncodeToString(sum[:]), meta.SHA256)
	assert.Equal(t, len(content), meta.Bytes)
	assert.Equal(t, countWords.Count(content), meta.Tokens)
	assert.False(t, meta.Created.IsZero())

	// The sidecar is plain JSON next to the content.
	d := h1.digits()
	raw, err := os.ReadFile(filepath.Join(dir, "objects", d[:2], d+".json"))
	require.NoError(t, err)
	var sc map[string]any
	require.NoError(t, json.Unmarshal(raw, &sc))
	assert.Equal(t, "search", sc["tool"])
	assert.EqualValues(t, len(content), sc["bytes"])
	body, err := os.ReadFile(filepath.Join(dir, "objects", d[:2], d))
	require.NoError(t, err)
	assert.Equal(t, content, string(body))

	// Tokens given by the caller are kept.
	h3, err := s.Put(bg, "short", Meta{Tokens: 42})
	require.NoError(t, err)
	meta, err = s.Stat(h3)
	require.NoError(t, err)
	assert.Equal(t, 42, meta.Tokens)
}

func TestPutConcurrentSameContent(t *testing.T) {
	s := openStore(t, t.TempDir())
	content := filler(2, 20000)
	var wg sync.WaitGroup
	handles := make([]Handle, 8)
	for i := range handles {
		wg.Go(func() {
			h, err := s.Put(bg, content, Meta{})
			assert.NoError(t, err)
			handles[i] = h
		})
	}
	wg.Wait()
	for _, h := range handles {
		assert.Equal(t, HandleOf(content), h)
	}
	require.NoError(t, s.waitIdle(bg))
	assert.Equal(t, len(chunk(content, DefaultChunkBytes, DefaultChunkOverlap)), s.coll.Count(), "indexed once")
}

func TestPutHonoursCancelledContext(t *testing.T) {
	s := openStore(t, t.TempDir())
	ctx, cancel := contextWithCancel()
	cancel()
	_, err := s.Put(ctx, "text", Meta{})
	require.ErrorIs(t, err, errCanceled)
	_, err = s.Read(HandleOf("text"), 0, 0)
	assert.ErrorIs(t, err, ErrNotFound)
}

func TestReadHugeArtifactInSlices(t *testing.T) {
	if testing.Short() {
		t.Skip("5 MB artifact")
	}
	s := openStore(t, t.TempDir(), WithCounter(countWords))
	// 5 MB with multi-byte runes scattered through it, so slice ends fall
	// inside runes.
	var b strings.Builder
	for i := 0; b.Len() < 5<<20; i++ {
		b.WriteString(filler(uint64(i), 4000))
		b.WriteString("ünïcödé ✓ 数据 ")
	}
	content := b.String()
	h, err := s.Put(bg, content, Meta{})
	require.NoError(t, err)

	got := readAll(t, s, h, 64<<10+1)
	require.Equal(t, len(content), len(got))
	require.True(t, got == content, "the artifact reads back byte for byte")

	sl, err := s.Read(h, 3<<20, 100)
	require.NoError(t, err)
	assert.LessOrEqual(t, len(sl.Text), 100)
	assert.Equal(t, content[sl.Offset:sl.Next], sl.Text)
	assert.True(t, sl.More)
}

func TestPersistenceAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	planted := "The reactor core temperature peaked at 1187 kelvin during the Tuesday stress test."
	var target Handle
	for i := range 10 {
		content := filler(uint64(100+i), 6000)
		if i == 6 {
			content = content[:3000] + "\n" + planted + "\n" + content[3000:]
		}
		h, err := s.Put(bg, content, Meta{Tool: "fetch"})
		require.NoError(t, err)
		if i == 6 {
			target = h
		}
	}
	before, err := s.Search(bg, "reactor core temperature", 3)
	require.NoError(t, err)
	count := s.coll.Count()
	require.NoError(t, s.Close())

	s2 := openStore(t, dir)
	assert.False(t, s2.rebuilt, "the persisted index is used as it is")
	assert.Equal(t, count, s2.coll.Count())
	after, err := s2.Search(bg, "reactor core temperature", 3)
	require.NoError(t, err)
	assert.Equal(t, before, after, "search answers the same after reopening")
	require.NotEmpty(t, after)
	assert.Equal(t, target, after[0].Handle)
	meta, err := s2.Stat(target)
	require.NoError(t, err)
	assert.Equal(t, "fetch", meta.Tool)

	// A Put after reopening is idempotent too.
	h, err := s2.Put(bg, filler(100, 6000), Meta{})
	require.NoError(t, err)
	assert.Equal(t, HandleOf(filler(100, 6000)), h)
	require.NoError(t, s2.waitIdle(bg))
	assert.Equal(t, count, s2.coll.Count())
}

func TestOpenRepairs(t *testing.T) {
	setup := func(t *testing.T) (string, []Handle, []Hit) {
		dir := t.TempDir()
		s := openStore(t, dir)
		var hs []Handle
		for i := range 4 {
			h, err := s.Put(bg, filler(uint64(200+i), 4000)+"\nzebra crossing number "+string(rune('A'+i))+"\n", Meta{Tool: "t"})
			require.NoError(t, err)
			hs = append(hs, h)
		}
		hits, err := s.Search(bg, "zebra crossing", 4)
		require.NoError(t, err)
		require.NoError(t, s.Close())
		return dir, hs, hits
	}
	tests := []struct {
		name    string
		damage  func(t *testing.T, dir string, hs []Handle)
		rebuilt bool
		check   func(t *testing.T, s *Store, hs []Handle)
	}{
		{
			name:   "nothing wrong",
			damage: func(*testing.T, string, []Handle) {},
		},
		{
			name: "corrupt index file",
			damage: func(t *testing.T, dir string, _ []Handle) {
				damageIndex(t, dir, func(header, data []byte) []byte {
					return append(header, []byte("garbage")...)
				})
			},
			rebuilt: true,
		},
		{
			name: "truncated index file",
			damage: func(t *testing.T, dir string, _ []Handle) {
				damageIndex(t, dir, func(header, data []byte) []byte {
					return append(header, data[:len(data)/2]...)
				})
			},
			rebuilt: true,
		},
		{
			name: "index header miscounts",
			damage: func(t *testing.T, dir string, _ []Handle) {
				damageIndex(t, dir, func(header, data []byte) []byte {
					h := bytes.Replace(header, []byte(`"passages":`), []byte(`"passages":1`), 1)
					require.NotEqual(t, header, h)
					return append(h, data...)
				})
			},
			rebuilt: true,
		},
		{
			name: "sidecar disagrees with the index",
			damage: func(t *testing.T, dir string, hs []Handle) {
				d := hs[3].digits()
				name := filepath.Join(dir, "objects", d[:2], d+".json")
				raw, err := os.ReadFile(name)
				require.NoError(t, err)
				bad := regexp.MustCompile(`"chunks": \d+`).ReplaceAll(raw, []byte(`"chunks": 99`))
				require.NotEqual(t, raw, bad)
				require.NoError(t, os.WriteFile(name, bad, 0o600))
			},
			rebuilt: true,
			check: func(t *testing.T, s *Store, hs []Handle) {
				sc, err := s.readSidecar(hs[3])
				require.NoError(t, err)
				sl, err := s.Read(hs[3], 0, 0)
				require.NoError(t, err)
				assert.Equal(t, len(chunk(sl.Text, DefaultChunkBytes, DefaultChunkOverlap)), sc.Chunks, "the sidecar is corrected")
			},
		},
		{
			name: "index deleted",
			damage: func(t *testing.T, dir string, _ []Handle) {
				require.NoError(t, os.RemoveAll(filepath.Join(dir, indexDir)))
			},
			rebuilt: true,
		},
		{
			name: "index of an older version",
			damage: func(t *testing.T, dir string, hs []Handle) {
				// chromem-go's persistent DB, one file per passage, with
				// salted IDs recorded in the sidecars.
				require.NoError(t, os.Remove(filepath.Join(dir, indexFile)))
				require.NoError(t, os.WriteFile(filepath.Join(dir, indexDir, "offload.json"), []byte(`{"embedder":"hash-v1-1024","chunk_bytes":1500,"overlap_bytes":200}`), 0o600))
				require.NoError(t, os.MkdirAll(filepath.Join(dir, indexDir, "3f2a9c1e"), 0o700))
				require.NoError(t, os.WriteFile(filepath.Join(dir, indexDir, "3f2a9c1e", "0a1b2c3d.gob"), []byte("gob"), 0o600))
				d := hs[0].digits()
				name := filepath.Join(dir, "objects", d[:2], d+".json")
				raw, err := os.ReadFile(name)
				require.NoError(t, err)
				raw = bytes.Replace(raw, []byte(`"chunks":`), []byte(`"salted": {"1": "`+d+`:1~1"}, "chunks":`), 1)
				require.NoError(t, os.WriteFile(name, raw, 0o600))
			},
			rebuilt: true,
			check: func(t *testing.T, s *Store, hs []Handle) {
				entries, err := os.ReadDir(filepath.Join(s.Dir(), indexDir))
				require.NoError(t, err)
				require.Len(t, entries, 1, "the old index is replaced by one file")
				assert.Equal(t, filepath.Base(indexFile), entries[0].Name())
			},
		},
		{
			name: "other chunking",
			damage: func(t *testing.T, dir string, _ []Handle) {
				damageIndex(t, dir, func(header, data []byte) []byte {
					h := bytes.Replace(header, []byte(`"chunk_bytes":1500`), []byte(`"chunk_bytes":999`), 1)
					require.NotEqual(t, header, h)
					return append(h, data...)
				})
			},
			rebuilt: true,
		},
		{
			name: "index of another embedder",
			damage: func(t *testing.T, dir string, _ []Handle) {
				damageIndex(t, dir, func(header, data []byte) []byte {
					h := bytes.Replace(header, []byte(`"embedder":"hash-v1-1024"`), []byte(`"embedder":"openai-3-small"`), 1)
					require.NotEqual(t, header, h)
					return append(h, data...)
				})
			},
			rebuilt: true,
		},
		{
			name: "crash before the sidecar was written",
			damage: func(t *testing.T, dir string, hs []Handle) {
				d := hs[2].digits()
				require.NoError(t, os.Remove(filepath.Join(dir, "objects", d[:2], d+".json")))
			},
			rebuilt: true,
			check: func(t *testing.T, s *Store, hs []Handle) {
				meta, err := s.Stat(hs[2])
				require.NoError(t, err, "the sidecar is recreated")
				assert.Equal(t, "recovered", meta.Provenance)
			},
		},
		{
			name: "damaged sidecar",
			damage: func(t *testing.T, dir string, hs []Handle) {
				d := hs[1].digits()
				require.NoError(t, os.WriteFile(filepath.Join(dir, "objects", d[:2], d+".json"), []byte("{not json"), 0o600))
			},
			rebuilt: true,
			check: func(t *testing.T, s *Store, hs []Handle) {
				meta, err := s.Stat(hs[1])
				require.NoError(t, err)
				assert.Equal(t, hs[1], meta.Handle)
			},
		},
		{
			name: "leftover temporary file",
			damage: func(t *testing.T, dir string, hs []Handle) {
				d := hs[0].digits()
				require.NoError(t, os.WriteFile(filepath.Join(dir, "objects", d[:2], tmpPrefix+"x-1-1"), []byte("partial"), 0o600))
				require.NoError(t, os.WriteFile(filepath.Join(dir, indexDir, tmpPrefix+"artifacts.idx-1-1"), []byte("partial"), 0o600))
			},
			check: func(t *testing.T, s *Store, hs []Handle) {
				d := hs[0].digits()
				_, err := os.Stat(filepath.Join(s.Dir(), "objects", d[:2], tmpPrefix+"x-1-1"))
				assert.ErrorIs(t, err, os.ErrNotExist, "temporary files are removed")
				_, err = os.Stat(filepath.Join(s.Dir(), indexDir, tmpPrefix+"artifacts.idx-1-1"))
				assert.ErrorIs(t, err, os.ErrNotExist, "a save cut short leaves nothing behind")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, hs, hits := setup(t)
			tt.damage(t, dir, hs)
			s := openStore(t, dir)
			assert.Equal(t, tt.rebuilt, s.rebuilt)
			got, err := s.Search(bg, "zebra crossing", 4)
			require.NoError(t, err)
			assert.Equal(t, hits, got, "search answers as before the damage")
			for _, h := range hs {
				sl, err := s.Read(h, 0, 0)
				require.NoError(t, err)
				assert.Equal(t, h, HandleOf(sl.Text))
			}
			if tt.check != nil {
				tt.check(t, s, hs)
			}
			// And the repaired store opens cleanly the next time.
			require.NoError(t, s.Close())
			again := openStore(t, dir)
			assert.False(t, again.rebuilt)
		})
	}
}

// TestIndexKeepsIDsWhoseHashesCollide: chromem-go's persistent DB named
// a passage's file after 32 bits of the SHA-256 of its ID, so two IDs
// sharing them lost a passage (the store used to salt IDs to avoid it).
// The index is now saved whole into one file, keyed by the full ID.
func TestIndexKeepsIDsWhoseHashesCollide(t *testing.T) {
	h := HandleOf("x")
	seen := map[[4]byte]int{}
	a, b := -1, -1
	for i := 0; a < 0; i++ {
		sum := sha256.Sum256([]byte(chunkID(h, i)))
		key := [4]byte(sum[:4])
		if j, ok := seen[key]; ok {
			a, b = j, i
		}
		seen[key] = i
	}
	s := openStore(t, t.TempDir())
	s.imu.Lock()
	for _, i := range []int{a, b} {
		require.NoError(t, s.coll.AddDocument(bg, chromem.Document{ID: chunkID(h, i), Embedding: []float32{1, 0}, Metadata: map[string]string{"n": strconv.Itoa(i)}}))
	}
	s.indexed[h] = 2
	require.NoError(t, s.saveIndex())
	s.imu.Unlock()

	_, coll, indexed, err := s.readIndex(s.settings())
	require.NoError(t, err)
	assert.Equal(t, map[Handle]int{h: 2}, indexed)
	require.Equal(t, 2, coll.Count())
	for _, i := range []int{a, b} {
		doc, err := coll.GetByID(bg, chunkID(h, i))
		require.NoError(t, err)
		assert.Equal(t, strconv.Itoa(i), doc.Metadata["n"])
	}
}

func TestChunk(t *testing.T) {
	inputs := map[string]string{
		"prose":       filler(7, 20000),
		"one line":    strings.Repeat("word ", 4000),
		"no spaces":   strings.Repeat("abcdefghij", 2000),
		"multibyte":   strings.Repeat("数据✓ü", 3000),
		"short":       "tiny",
		"empty":       "",
		"exact":       strings.Repeat("a", 1500),
		"invalid utf": strings.Repeat("\xff\xfe", 3000),
	}
	for name, text := range inputs {
		t.Run(name, func(t *testing.T) {
			spans := chunk(text, 1500, 200)
			if text == "" {
				assert.Empty(t, spans)
				return
			}
			require.NotEmpty(t, spans)
			assert.Equal(t, 0, spans[0].start)
			assert.Equal(t, len(text), spans[len(spans)-1].end)
			for i, sp := range spans {
				assert.LessOrEqual(t, sp.end-sp.start, 1500)
				if i < len(spans)-1 {
					assert.GreaterOrEqual(t, sp.end-sp.start, 750)
				}
				if i > 0 {
					prev := spans[i-1]
					assert.Greater(t, sp.start, prev.start)
					assert.LessOrEqual(t, sp.start, prev.end, "no gap between passages")
					assert.GreaterOrEqual(t, sp.start, prev.end-200, "overlap is bounded")
				}
				if utf8.ValidString(text) {
					assert.True(t, utf8.ValidString(text[sp.start:sp.end]), "passages do not cut runes")
				}
			}
		})
	}
}

func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			out = append(out, p+"@"+fi.ModTime().String())
		}
		return nil
	}))
	return out
}

// damageIndex rewrites the saved index file with what damage returns,
// given its two header lines and the chromem-go data after them.
func damageIndex(t *testing.T, dir string, damage func(header, data []byte) []byte) {
	t.Helper()
	name := filepath.Join(dir, indexFile)
	raw, err := os.ReadFile(name)
	require.NoError(t, err)
	first := bytes.IndexByte(raw, '\n')
	require.Positive(t, first)
	second := bytes.IndexByte(raw[first+1:], '\n') + first + 1
	require.Greater(t, second, first)
	header := bytes.Clone(raw[:second+1])
	require.NoError(t, os.WriteFile(name, damage(header, raw[second+1:]), 0o600))
}
