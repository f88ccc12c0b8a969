package store

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSQLitePragmas checks that every pooled connection runs in WAL mode
// with synchronous=FULL and a busy timeout: Put's durability depends on it.
func TestSQLitePragmas(t *testing.T) {
	ctx := context.Background()
	s, err := OpenSQLite(filepath.Join(t.TempDir(), "cp.db"))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })

	// Hold several connections at once so the pool has to open new ones.
	for i := 0; i < 3; i++ {
		conn, err := s.db.Conn(ctx)
		require.NoError(t, err)
		defer conn.Close()
		var mode string
		var sync, busy int
		require.NoError(t, conn.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode))
		require.NoError(t, conn.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync))
		require.NoError(t, conn.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy))
		assert.Equal(t, "wal", mode, "conn %d", i)
		assert.Equal(t, 2, sync, "conn %d: synchronous=FULL", i)
		assert.Equal(t, 10000, busy, "conn %d", i)
	}
}

func TestSQLiteDSN(t *testing.T) {
	dsn, err := sqliteDSN("/tmp/a b/we?ird#%.db")
	require.NoError(t, err)
	assert.Regexp(t, `^file:/tmp/a b/we%3fird%23%25\.db\?`, dsn)
	assert.Contains(t, dsn, "_txlock=immediate")

	dsn, err = sqliteDSN(":memory:")
	require.NoError(t, err)
	assert.Regexp(t, `^file::memory:\?`, dsn)
}
