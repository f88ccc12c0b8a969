package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/graph"
	"github.com/deepctx/deepctx/agent/graph/store"
)

// newFS returns an FS rooted at <tmp>/root, and <tmp>.
func newFS(t *testing.T, opts ...store.FSOption) (*store.FS, string) {
	t.Helper()
	tmp := t.TempDir()
	s, err := store.NewFS(filepath.Join(tmp, "root"), opts...)
	require.NoError(t, err)
	return s, tmp
}

// tree lists every path under dir, relative to it.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		rel, err := filepath.Rel(dir, p)
		require.NoError(t, err)
		if rel != "." {
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	}))
	return out
}

func TestFSRejectsEscapingRunIDs(t *testing.T) {
	ctx := context.Background()
	s, tmp := newFS(t)
	// Put a checkpoint named like a file one level up, which a traversal
	// would find.
	require.NoError(t, os.WriteFile(filepath.Join(tmp, "000001.json"), []byte("{}"), 0o600))

	for _, id := range []string{
		"../x", "..", ".", "", "a/b", "a\\b", "/etc", "x/../../y", "x\x00y", "\x00",
		"..\\..\\x", "a\nb", strings.Repeat("a", store.MaxRunIDLen+1), "C:x",
	} {
		err := s.Put(ctx, checkpoint(id, 1))
		require.ErrorIs(t, err, store.ErrInvalidRunID, "put %q", id)
		_, err = s.Latest(ctx, id)
		require.ErrorIs(t, err, store.ErrInvalidRunID, "latest %q", id)
		_, err = s.History(ctx, id)
		require.ErrorIs(t, err, store.ErrInvalidRunID, "history %q", id)
	}
	// Nothing was created anywhere.
	assert.Equal(t, []string{"000001.json", "root"}, tree(t, tmp))
}

func TestFSLayoutAndFormat(t *testing.T) {
	ctx := context.Background()
	s, tmp := newFS(t)
	root := filepath.Join(tmp, "root")
	assert.Equal(t, root, s.Dir())

	for _, seq := range []int{1, 2, 42, 1234567} {
		require.NoError(t, s.Put(ctx, checkpoint("run-1", seq)))
	}
	// Only complete checkpoint files remain: no temp files.
	assert.Equal(t, []string{
		"run-1", "run-1/000001.json", "run-1/000002.json", "run-1/000042.json", "run-1/1234567.json",
	}, tree(t, root))

	data, err := os.ReadFile(filepath.Join(root, "run-1", "000042.json"))
	require.NoError(t, err)
	var env struct {
		Version    int              `json:"version"`
		Checkpoint graph.Checkpoint `json:"checkpoint"`
	}
	require.NoError(t, json.Unmarshal(data, &env))
	assert.Equal(t, store.FSFormatVersion, env.Version)
	assert.Equal(t, 1, env.Version)
	assert.Equal(t, "run-1", env.Checkpoint.RunID)
	assert.Equal(t, 42, env.Checkpoint.Seq)
	assert.True(t, strings.HasSuffix(string(data), "}\n"))

	if runtime.GOOS != "windows" {
		fi, err := os.Stat(filepath.Join(root, "run-1", "000042.json"))
		require.NoError(t, err)
		assert.Equal(t, fs.FileMode(0o600), fi.Mode().Perm())
	}

	latest, err := s.Latest(ctx, "run-1")
	require.NoError(t, err)
	assert.Equal(t, 1234567, latest.Seq) // numeric, not lexical, order
}

func TestFSIgnoresStrayFiles(t *testing.T) {
	ctx := context.Background()
	s, tmp := newFS(t)
	root := filepath.Join(tmp, "root")
	require.NoError(t, s.Put(ctx, checkpoint("run", 1)))
	runDir := filepath.Join(root, "run")

	// A temp file left by a crash mid-Put, half written, and files that are
	// not canonical checkpoint names.
	good, err := os.ReadFile(filepath.Join(runDir, "000001.json"))
	require.NoError(t, err)
	for name, data := range map[string][]byte{
		".000002.json.tmp-12345": good[:len(good)/2],
		"2.json":                 []byte("garbage"),
		"0000002.json":           []byte("garbage"),
		"000000.json":            []byte("garbage"),
		"000003.json.bak":        []byte("garbage"),
		"notes.txt":              []byte("hello"),
	} {
		require.NoError(t, os.WriteFile(filepath.Join(runDir, name), data, 0o600))
	}
	// Entries at the root that are not run folders.
	require.NoError(t, os.WriteFile(filepath.Join(root, "README"), []byte("x"), 0o600))
	require.NoError(t, os.Mkdir(filepath.Join(root, ".hidden"), 0o755))
	require.NoError(t, os.Mkdir(filepath.Join(root, "empty-run"), 0o755))

	latest, err := s.Latest(ctx, "run")
	require.NoError(t, err)
	assert.Equal(t, 1, latest.Seq)
	require.NoError(t, s.Put(ctx, checkpoint("run", 2)))
	hist, err := s.History(ctx, "run")
	require.NoError(t, err)
	assert.Len(t, hist, 2)
	runs, err := s.Runs(ctx)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Equal(t, "run", runs[0].RunID)
	_, err = s.Latest(ctx, "empty-run")
	require.ErrorIs(t, err, graph.ErrNoCheckpoint)
}

func TestFSPersistsAcrossInstances(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	first, err := store.NewFS(dir)
	require.NoError(t, err)
	for seq := 1; seq <= 3; seq++ {
		require.NoError(t, first.Put(ctx, checkpoint("run", seq)))
	}

	// A second FS on the same folder (another process, or a resume after a
	// restart) sees everything, including the latest Seq for stale checks.
	second, err := store.NewFS(dir)
	require.NoError(t, err)
	latest, err := second.Latest(ctx, "run")
	require.NoError(t, err)
	assert.Equal(t, 3, latest.Seq)
	hist, err := second.History(ctx, "run")
	require.NoError(t, err)
	assert.Len(t, hist, 3)
	require.ErrorIs(t, second.Put(ctx, checkpoint("run", 3)), store.ErrStaleSeq)
	require.NoError(t, second.Put(ctx, checkpoint("run", 4)))

	// ... and the first, holding no cache, sees the second's write.
	latest, err = first.Latest(ctx, "run")
	require.NoError(t, err)
	assert.Equal(t, 4, latest.Seq)
	require.ErrorIs(t, first.Put(ctx, checkpoint("run", 4)), store.ErrStaleSeq)
	runs, err := first.Runs(ctx)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Equal(t, 4, runs[0].Seq)
}

func TestFSDamagedFiles(t *testing.T) {
	ctx := context.Background()
	valid := func(t *testing.T, s *store.FS) []byte {
		data, err := os.ReadFile(filepath.Join(s.Dir(), "run", "000001.json"))
		require.NoError(t, err)
		return data
	}
	tests := []struct {
		name    string
		content func(valid []byte) []byte
		want    error
		msg     string
	}{
		{"garbage", func([]byte) []byte { return []byte("not json at all") }, store.ErrCorrupt, "invalid character"},
		{"truncated", func(v []byte) []byte { return v[:len(v)/2] }, store.ErrCorrupt, "unexpected end"},
		{"empty", func([]byte) []byte { return nil }, store.ErrCorrupt, "unexpected end"},
		{"trailing data", func(v []byte) []byte { return append(v, "{}"...) }, store.ErrCorrupt, "invalid character"},
		{"no version", func(v []byte) []byte {
			return []byte(strings.Replace(string(v), `"version":1,`, "", 1))
		}, store.ErrCorrupt, "format version 0"},
		{"future version", func(v []byte) []byte {
			return []byte(strings.Replace(string(v), `"version":1,`, `"version":7,`, 1))
		}, store.ErrUnsupportedVersion, "file version 7"},
		{"future version, new layout", func([]byte) []byte {
			return []byte(`{"version":2,"checkpoint":"zstd:AAAA","index":[1,2]}`)
		}, store.ErrUnsupportedVersion, "file version 2"},
		{"wrong type", func(v []byte) []byte {
			return []byte(strings.Replace(string(v), `"step":1`, `"step":"two"`, 1))
		}, store.ErrCorrupt, "cannot unmarshal"},
		{"copied from another seq", func(v []byte) []byte { return v }, store.ErrCorrupt, `holds run "run" seq 1`},
		{"copied from another run", func(v []byte) []byte {
			return []byte(strings.Replace(string(v), `"run_id":"run"`, `"run_id":"other"`, 1))
		}, store.ErrCorrupt, `holds run "other" seq 2`},
		{"null checkpoint", func([]byte) []byte { return []byte(`{"version":1,"checkpoint":null}`) }, store.ErrCorrupt, `holds run "" seq 0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := store.NewFS(t.TempDir())
			require.NoError(t, err)
			require.NoError(t, s.Put(ctx, checkpoint("run", 1)))
			content := tt.content(valid(t, s))
			if tt.name == "copied from another run" {
				content = []byte(strings.Replace(string(content), `"seq":1`, `"seq":2`, 1))
			}
			bad := filepath.Join(s.Dir(), "run", "000002.json")
			require.NoError(t, os.WriteFile(bad, content, 0o600))

			_, err = s.Latest(ctx, "run")
			require.ErrorIs(t, err, tt.want)
			assert.Contains(t, err.Error(), bad, "error must name the file")
			assert.Contains(t, err.Error(), tt.msg)
			assert.True(t, strings.HasPrefix(err.Error(), "store: "), "%v", err)

			_, err = s.History(ctx, "run")
			require.ErrorIs(t, err, tt.want)
			_, err = s.Runs(ctx)
			require.ErrorIs(t, err, tt.want)
			// The damaged file still counts for stale checks: it is never
			// overwritten.
			require.ErrorIs(t, s.Put(ctx, checkpoint("run", 2)), store.ErrStaleSeq)

			// Removing the file repairs the run.
			require.NoError(t, os.Remove(bad))
			latest, err := s.Latest(ctx, "run")
			require.NoError(t, err)
			assert.Equal(t, 1, latest.Seq)
		})
	}
}

func TestFSKeepLast(t *testing.T) {
	ctx := context.Background()
	s, tmp := newFS(t, store.FSKeepLast(3))
	for seq := 1; seq <= 6; seq++ {
		require.NoError(t, s.Put(ctx, checkpoint("run", seq)))
		require.NoError(t, s.Put(ctx, checkpoint("other", seq*10)))
	}
	assert.Equal(t, []string{
		"other", "other/000040.json", "other/000050.json", "other/000060.json",
		"run", "run/000004.json", "run/000005.json", "run/000006.json",
	}, tree(t, filepath.Join(tmp, "root")))

	hist, err := s.History(ctx, "run")
	require.NoError(t, err)
	require.Len(t, hist, 3)
	assert.Equal(t, []int{4, 5, 6}, []int{hist[0].Seq, hist[1].Seq, hist[2].Seq})
	latest, err := s.Latest(ctx, "run")
	require.NoError(t, err)
	assert.Equal(t, 6, latest.Seq)
	require.ErrorIs(t, s.Put(ctx, checkpoint("run", 6)), store.ErrStaleSeq)
	require.ErrorIs(t, s.Put(ctx, checkpoint("run", 1)), store.ErrStaleSeq)
}

func TestFSSubdir(t *testing.T) {
	ctx := context.Background()
	s, tmp := newFS(t, store.FSSubdir("checkpoints"))
	root := filepath.Join(tmp, "root")
	// The layout `deepctx research` uses: other run files beside checkpoints/.
	require.NoError(t, os.MkdirAll(filepath.Join(root, "run-1"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "run-1", "report.md"), []byte("# r"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(root, "run-1", "000009.json"), []byte("x"), 0o600))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "no-checkpoints", "artifacts"), 0o755))

	require.NoError(t, s.Put(ctx, checkpoint("run-1", 1)))
	require.NoError(t, s.Put(ctx, checkpoint("run-2", 1)))

	got := tree(t, root)
	assert.Contains(t, got, "run-1/checkpoints/000001.json")
	assert.Contains(t, got, "run-2/checkpoints/000001.json")
	latest, err := s.Latest(ctx, "run-1")
	require.NoError(t, err)
	assert.Equal(t, 1, latest.Seq) // run-1/000009.json is not a checkpoint here
	runs, err := s.Runs(ctx)
	require.NoError(t, err)
	ids := []string{runs[0].RunID, runs[1].RunID}
	slices.Sort(ids)
	assert.Equal(t, []string{"run-1", "run-2"}, ids)
	require.Len(t, runs, 2)

	// Without the option, the same folder holds no checkpoints at run level.
	plain, err := store.NewFS(root)
	require.NoError(t, err)
	_, err = plain.Latest(ctx, "run-2")
	require.ErrorIs(t, err, graph.ErrNoCheckpoint)
}

func TestNewFSOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		dir  string
		opts []store.FSOption
	}{
		{"empty dir", "", nil},
		{"escaping subdir", t.TempDir(), []store.FSOption{store.FSSubdir("../x")}},
		{"nested subdir", t.TempDir(), []store.FSOption{store.FSSubdir("a/b")}},
		{"negative keep", t.TempDir(), []store.FSOption{store.FSKeepLast(-1)}},
	} {
		_, err := store.NewFS(tc.dir, tc.opts...)
		require.Error(t, err, tc.name)
		assert.True(t, strings.HasPrefix(err.Error(), "store: "), "%v", err)
	}

	// NewFS creates missing folders; a file in the way is an error.
	tmp := t.TempDir()
	_, err := store.NewFS(filepath.Join(tmp, "a", "b", "c"))
	require.NoError(t, err)
	require.DirExists(t, filepath.Join(tmp, "a", "b", "c"))
	require.NoError(t, os.WriteFile(filepath.Join(tmp, "file"), nil, 0o600))
	_, err = store.NewFS(filepath.Join(tmp, "file"))
	require.Error(t, err)
}

func TestFSTwoValuesOneFolder(t *testing.T) {
	// Puts to one run race through two FS values on the same folder: the
	// Seq check and the write stay atomic, so no checkpoint is overwritten.
	ctx := context.Background()
	dir := t.TempDir()
	a, err := store.NewFS(dir)
	require.NoError(t, err)
	b, err := store.NewFS(dir)
	require.NoError(t, err)
	handles := []*store.FS{a, b}

	const n = 24
	accepted := make([]bool, n+1)
	var wg sync.WaitGroup
	for seq := 1; seq <= n; seq++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cp := checkpoint("shared", seq)
			cp.Graph = fmt.Sprintf("writer-%d", seq%2)
			accepted[seq] = handles[seq%2].Put(ctx, cp) == nil
		}()
	}
	wg.Wait()
	hist, err := a.History(ctx, "shared")
	require.NoError(t, err)
	var got, want []int
	for _, cp := range hist {
		got = append(got, cp.Seq)
		assert.Equal(t, fmt.Sprintf("writer-%d", cp.Seq%2), cp.Graph)
	}
	for seq, ok := range accepted {
		if ok {
			want = append(want, seq)
		}
	}
	assert.Equal(t, want, got)
	assert.Equal(t, n, got[len(got)-1])
}
