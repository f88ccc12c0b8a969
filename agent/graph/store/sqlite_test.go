package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/graph"
	"github.com/deepctx/deepctx/agent/graph/store"
)

func openSQLite(t *testing.T, path string) *store.SQLite {
	t.Helper()
	s, err := store.OpenSQLite(path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// rawDB opens the file with the plain driver, to inspect or tamper with it.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

func TestSQLitePersistsAcrossReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cp.db")
	s, err := store.OpenSQLite(path)
	require.NoError(t, err)
	for seq := 1; seq <= 3; seq++ {
		require.NoError(t, s.Put(ctx, checkpoint("run-a", seq)))
	}
	require.NoError(t, s.Put(ctx, checkpoint("run-b", 1)))
	require.NoError(t, s.Close())

	_, err = s.Latest(ctx, "run-a")
	require.Error(t, err, "a closed store must fail, not panic")

	s = openSQLite(t, path)
	latest, err := s.Latest(ctx, "run-a")
	require.NoError(t, err)
	assert.Equal(t, checkpoint("run-a", 3).Time, latest.Time.UTC())
	assert.Equal(t, 3, latest.Seq)
	hist, err := s.History(ctx, "run-a")
	require.NoError(t, err)
	assert.Len(t, hist, 3)
	runs, err := s.Runs(ctx)
	require.NoError(t, err)
	require.Len(t, runs, 2)
	assert.Equal(t, "run-a", runs[0].RunID) // seq 3 is newer than run-b's seq 1
	require.ErrorIs(t, s.Put(ctx, checkpoint("run-a", 3)), store.ErrStaleSeq)
}

func TestSQLiteTwoHandlesOneFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cp.db")
	handles := []*store.SQLite{openSQLite(t, path), openSQLite(t, path)}

	// Each handle writes its own runs while reading the other's.
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for h, s := range handles {
		for r := 0; r < 2; r++ {
			runID := fmt.Sprintf("h%d-run%d", h, r)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for seq := 1; seq <= 8; seq++ {
					if err := s.Put(ctx, checkpoint(runID, seq)); err != nil {
						errs <- err
						return
					}
					if _, err := handles[1-h].Latest(ctx, runID); err != nil {
						errs <- fmt.Errorf("other handle: %w", err)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, s := range handles {
		runs, err := s.Runs(ctx)
		require.NoError(t, err)
		require.Len(t, runs, 4)
		for _, r := range runs {
			assert.Equal(t, 8, r.Seq, r.RunID)
		}
	}

	// Puts to one run race through both handles: the stale check holds
	// across handles.
	const n = 16
	accepted := make([]bool, n+1)
	for seq := 1; seq <= n; seq++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			accepted[seq] = handles[seq%2].Put(ctx, checkpoint("shared", seq)) == nil
		}()
	}
	wg.Wait()
	hist, err := handles[0].History(ctx, "shared")
	require.NoError(t, err)
	var got, want []int
	for _, cp := range hist {
		got = append(got, cp.Seq)
	}
	for seq, ok := range accepted {
		if ok {
			want = append(want, seq)
		}
	}
	assert.Equal(t, want, got) // ascending, and exactly the accepted Puts
	assert.Equal(t, n, got[len(got)-1])
	require.ErrorIs(t, handles[1].Put(ctx, checkpoint("shared", n)), store.ErrStaleSeq)
}

func TestSQLiteSchemaVersion(t *testing.T) {
	dir := t.TempDir()

	path := filepath.Join(dir, "cp.db")
	s := openSQLite(t, path)
	require.NoError(t, s.Close())
	var version int
	require.NoError(t, rawDB(t, path).QueryRow("PRAGMA user_version").Scan(&version))
	assert.Equal(t, store.SQLiteSchemaVersion, version)
	assert.Equal(t, 1, version)

	// A database from a future version is refused, untouched.
	future := filepath.Join(dir, "future.db")
	db := rawDB(t, future)
	_, err := db.Exec("CREATE TABLE checkpoints_v9 (x); PRAGMA user_version = 9")
	require.NoError(t, err)
	_, err = store.OpenSQLite(future)
	require.ErrorIs(t, err, store.ErrUnsupportedVersion)
	assert.Contains(t, err.Error(), "schema version 9")
	assert.Contains(t, err.Error(), future)
	require.NoError(t, db.QueryRow("PRAGMA user_version").Scan(&version))
	assert.Equal(t, 9, version)

	// So is a database that belongs to something else.
	foreign := filepath.Join(dir, "foreign.db")
	db = rawDB(t, foreign)
	_, err = db.Exec("CREATE TABLE users (name TEXT)")
	require.NoError(t, err)
	_, err = store.OpenSQLite(foreign)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a checkpoint database")

	// And a file that is not a database at all.
	junk := filepath.Join(dir, "junk.db")
	require.NoError(t, os.WriteFile(junk, []byte(strings.Repeat("junk", 1000)), 0o600))
	_, err = store.OpenSQLite(junk)
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "store: sqlite: "), "%v", err)

	_, err = store.OpenSQLite("")
	require.Error(t, err)
}

func TestSQLiteCorruptBody(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cp.db")
	s := openSQLite(t, path)
	require.NoError(t, s.Put(ctx, checkpoint("run", 1)))
	require.NoError(t, s.Put(ctx, checkpoint("run", 2)))

	db := rawDB(t, path)
	_, err := db.Exec("UPDATE checkpoints SET body = '{\"run_id\":' WHERE seq = 2")
	require.NoError(t, err)
	_, err = s.Latest(ctx, "run")
	require.ErrorIs(t, err, store.ErrCorrupt)
	assert.Contains(t, err.Error(), path)
	assert.Contains(t, err.Error(), `run "run" seq 2`)
	_, err = s.History(ctx, "run")
	require.ErrorIs(t, err, store.ErrCorrupt)

	_, err = db.Exec(`UPDATE checkpoints SET body = (SELECT body FROM checkpoints WHERE seq = 1) WHERE seq = 2`)
	require.NoError(t, err)
	_, err = s.Latest(ctx, "run")
	require.ErrorIs(t, err, store.ErrCorrupt)
	assert.Contains(t, err.Error(), `body holds run "run" seq 1`)
}

func TestSQLiteColumns(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cp.db")
	s := openSQLite(t, path)
	cp := checkpoint("run", 7)
	cp.Status = graph.StatusFailed
	cp.Time = time.Date(2025, 6, 1, 12, 0, 0, 123456789, time.FixedZone("X", -7*3600))
	require.NoError(t, s.Put(ctx, cp))

	var graphName, status, at, body string
	var step int
	require.NoError(t, rawDB(t, path).QueryRow(
		"SELECT graph, status, step, time, body FROM checkpoints WHERE run_id = 'run' AND seq = 7").
		Scan(&graphName, &status, &step, &at, &body))
	assert.Equal(t, "g", graphName)
	assert.Equal(t, "failed", status)
	assert.Equal(t, 7, step)
	assert.Equal(t, "2025-06-01T19:00:00.123456789Z", at)
	assert.Contains(t, body, `"run_id":"run"`)

	runs, err := s.Runs(ctx)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.True(t, cp.Time.Equal(runs[0].Updated))
}

func TestSQLiteAwkwardPath(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "we?ird #dir %20 ü")
	require.NoError(t, os.Mkdir(dir, 0o755))
	path := filepath.Join(dir, "cp.db")
	s := openSQLite(t, path)
	require.NoError(t, s.Put(ctx, checkpoint("run", 1)))
	require.NoError(t, s.Close())
	require.FileExists(t, path)

	s = openSQLite(t, path)
	latest, err := s.Latest(ctx, "run")
	require.NoError(t, err)
	assert.Equal(t, 1, latest.Seq)

	// A relative path resolves against the working directory at open.
	t.Chdir(dir)
	rel := openSQLite(t, "cp.db")
	latest, err = rel.Latest(ctx, "run")
	require.NoError(t, err)
	assert.Equal(t, 1, latest.Seq)
}

func TestSQLiteMemoryIsPrivate(t *testing.T) {
	ctx := context.Background()
	a, b := openSQLite(t, ":memory:"), openSQLite(t, ":memory:")
	require.NoError(t, a.Put(ctx, checkpoint("run", 1)))
	_, err := b.Latest(ctx, "run")
	require.ErrorIs(t, err, graph.ErrNoCheckpoint)
	_, err = os.Stat(":memory:")
	require.True(t, os.IsNotExist(err), "no file named :memory: is created")
}
