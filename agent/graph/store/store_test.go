package store_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/graph"
	"github.com/deepctx/deepctx/agent/graph/store"
	"github.com/deepctx/deepctx/agent/graph/store/storetest"
)

// openers returns a constructor for each store in the package.
func openers() map[string]func(t *testing.T) graph.CheckpointStore {
	return map[string]func(t *testing.T) graph.CheckpointStore{
		"memory": func(t *testing.T) graph.CheckpointStore { return store.NewMemory() },
		"fs": func(t *testing.T) graph.CheckpointStore {
			s, err := store.NewFS(t.TempDir())
			require.NoError(t, err)
			return s
		},
		"fs-subdir": func(t *testing.T) graph.CheckpointStore {
			s, err := store.NewFS(t.TempDir(), store.FSSubdir("checkpoints"))
			require.NoError(t, err)
			return s
		},
		"sqlite": func(t *testing.T) graph.CheckpointStore {
			s, err := store.OpenSQLite(filepath.Join(t.TempDir(), "checkpoints.db"))
			require.NoError(t, err)
			t.Cleanup(func() { require.NoError(t, s.Close()) })
			return s
		},
		"sqlite-memory": func(t *testing.T) graph.CheckpointStore {
			s, err := store.OpenSQLite(":memory:")
			require.NoError(t, err)
			t.Cleanup(func() { require.NoError(t, s.Close()) })
			return s
		},
	}
}

func TestConformance(t *testing.T) {
	for name, open := range openers() {
		t.Run(name, func(t *testing.T) { storetest.Run(t, open) })
	}
}

func checkpoint(runID string, seq int) graph.Checkpoint {
	return graph.Checkpoint{
		RunID:  runID,
		Seq:    seq,
		Graph:  "g",
		Step:   seq,
		Status: graph.StatusRunning,
		State:  json.RawMessage(`{"n":1}`),
		Time:   time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(seq) * time.Second),
	}
}

// TestErrors checks the package's sentinel errors, which the conformance
// suite (written for any store) cannot require.
func TestErrors(t *testing.T) {
	ctx := context.Background()
	for name, open := range openers() {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			require.NoError(t, s.Put(ctx, checkpoint("run", 2)))

			for _, seq := range []int{2, 1} {
				err := s.Put(ctx, checkpoint("run", seq))
				require.ErrorIs(t, err, store.ErrStaleSeq)
				assert.Contains(t, err.Error(), "latest stored seq is 2")
			}

			err := s.Put(ctx, checkpoint("run", 0))
			require.ErrorIs(t, err, store.ErrInvalidCheckpoint)

			bad := checkpoint("run", 3)
			bad.State = json.RawMessage(`{"unterminated":`)
			err = s.Put(ctx, bad)
			require.ErrorIs(t, err, store.ErrInvalidCheckpoint)
			bad.State = json.RawMessage(`{}`)
			bad.Tasks = []graph.TaskRecord{{ID: "t", Node: "n", Input: json.RawMessage(`nope`)}}
			require.ErrorIs(t, s.Put(ctx, bad), store.ErrInvalidCheckpoint)

			for _, id := range []string{"", "../escape", "a/b", "."} {
				err := s.Put(ctx, checkpoint(id, 1))
				require.ErrorIs(t, err, store.ErrInvalidRunID, "put %q", id)
				_, err = s.Latest(ctx, id)
				require.ErrorIs(t, err, store.ErrInvalidRunID, "latest %q", id)
				_, err = s.History(ctx, id)
				require.ErrorIs(t, err, store.ErrInvalidRunID, "history %q", id)
			}

			_, err = s.Latest(ctx, "other")
			require.ErrorIs(t, err, graph.ErrNoCheckpoint)
			assert.Contains(t, err.Error(), `"other"`)

			// Every error names the package; none of the rejected Puts stored anything.
			for _, err := range []error{
				s.Put(ctx, checkpoint("run", 1)),
				s.Put(ctx, checkpoint("", 1)),
				s.Put(ctx, checkpoint("run", -1)),
				func() error { _, err := s.Latest(ctx, "nope"); return err }(),
			} {
				require.Error(t, err)
				assert.True(t, strings.HasPrefix(err.Error(), "store: "), "error %q lacks the package name", err)
			}
			hist, err := s.History(ctx, "run")
			require.NoError(t, err)
			require.Len(t, hist, 1)
			assert.Equal(t, 2, hist[0].Seq)
		})
	}
}

func TestValidateRunID(t *testing.T) {
	valid := []string{
		"a", "Z", "7", "run-1", "run_1", "2025-01-02T03.04.05Z-ab12", "a..b", "A.b_c-d",
		strings.Repeat("x", store.MaxRunIDLen), "console", "com10", "nul-1",
	}
	for _, id := range valid {
		assert.NoError(t, store.ValidateRunID(id), "%q", id)
	}
	invalid := []string{
		"", ".", "..", "../x", "..\\x", "a/b", "/abs", "a\\b", "x\x00y", "a\nb", "tab\t", "del\x7f",
		"-flag", "_x", ".hidden", "trailing.", "with space", "a:b", "C:", "é", "run\u202e",
		"con", "NUL", "Com1", "lpt9.txt", "aux.tar.gz",
		strings.Repeat("x", store.MaxRunIDLen+1),
	}
	for _, id := range invalid {
		err := store.ValidateRunID(id)
		require.ErrorIs(t, err, store.ErrInvalidRunID, "%q", id)
		assert.True(t, strings.HasPrefix(err.Error(), "store: "), "%v", err)
	}
}

func TestMemoryRunsDropMonotonicClock(t *testing.T) {
	// Memory strips the monotonic clock reading like a JSON round trip, so
	// summaries compare the same way in every store.
	ctx := context.Background()
	m := store.NewMemory()
	cp := checkpoint("run", 1)
	cp.Time = time.Now()
	require.NoError(t, m.Put(ctx, cp))
	runs, err := m.Runs(ctx)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.True(t, cp.Time.Equal(runs[0].Updated))
	assert.Equal(t, cp.Time.Round(0).String(), runs[0].Updated.String())
}
