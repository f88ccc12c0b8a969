package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/deepctx/deepctx/agent/graph"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver (pure Go)
)

// SQLiteSchemaVersion is the schema version OpenSQLite creates, recorded in
// the database's PRAGMA user_version. OpenSQLite fails with
// ErrUnsupportedVersion on a database with a newer version.
const SQLiteSchemaVersion = 1

// SQLite is a graph.CheckpointStore in a single SQLite database file, for
// many runs and for services: Runs is one query however many runs there
// are, and several processes may share the file.
//
// It uses the pure-Go modernc.org/sqlite driver (no cgo). The database is
// dedicated to checkpoints: OpenSQLite creates the table
//
//	checkpoints(run_id, seq, graph, status, step, time, body, PRIMARY KEY(run_id, seq))
//
// where body is the checkpoint's whole JSON document (so fields added to
// graph.Checkpoint round-trip) and the other columns copy fields for
// querying; time is the checkpoint's Time in UTC as
// "2006-01-02T15:04:05.000000000Z", which sorts chronologically.
//
// The database runs in WAL mode with synchronous=FULL, so Put is durable
// when it returns and readers never block the writer; a busy_timeout of 10s
// lets handles in other processes wait for each other's writes. A SQLite is
// safe for concurrent use; Puts through one handle are serialized, and
// Puts through several handles (or processes) on one file are serialized
// by SQLite's write lock, each checking the run's latest Seq inside its
// write transaction.
//
// Call Close when done.
type SQLite struct {
	db      *sql.DB
	path    string
	writeMu sync.Mutex // serializes this handle's writers instead of spinning on busy_timeout
}

var _ graph.CheckpointStore = (*SQLite)(nil)

const sqliteBusyTimeout = 10 * time.Second

// OpenSQLite opens the checkpoint database at path, creating the file and
// its schema if needed. It fails with ErrUnsupportedVersion if the database
// was created by a newer version of this package, and refuses a database
// that holds other tables but no checkpoint schema. The special path
// ":memory:" opens a private in-memory database (one connection, nothing
// persisted).
func OpenSQLite(path string) (*SQLite, error) {
	if path == "" {
		return nil, errors.New("store: sqlite: empty path")
	}
	dsn, err := sqliteDSN(path)
	if err != nil {
		return nil, fmt.Errorf("store: sqlite: %w", err)
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: sqlite: open %s: %w", path, err)
	}
	if path == ":memory:" {
		// Every connection to ":memory:" is a separate database.
		db.SetMaxOpenConns(1)
	} else {
		db.SetMaxOpenConns(8)
		db.SetMaxIdleConns(8)
	}
	_, statErr := os.Stat(path)
	s := &SQLite{db: db, path: path}
	if err := s.migrate(context.Background()); err != nil {
		db.Close()
		return nil, err
	}
	if path != ":memory:" && errors.Is(statErr, fs.ErrNotExist) {
		// SQLite fsyncs the folder for its journal files but not for a new
		// database file; make the new file's entry durable too.
		if err := syncDir(filepath.Dir(path)); err != nil {
			db.Close()
			return nil, fmt.Errorf("store: sqlite: open %s: %w", path, err)
		}
	}
	return s, nil
}

// sqliteDSN builds a modernc.org/sqlite data source name: a file: URI (so
// any path works) with the connection pragmas, which the driver applies to
// every connection of the pool.
func sqliteDSN(path string) (string, error) {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", sqliteBusyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Set("_txlock", "immediate") // write transactions take the write lock at BEGIN
	if path == ":memory:" {
		return "file::memory:?" + q.Encode(), nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // Windows: file:/C:/dir/db
	}
	p = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
	return "file:" + p + "?" + q.Encode(), nil
}

const sqliteSchema = `
CREATE TABLE checkpoints (
	run_id TEXT    NOT NULL,
	seq    INTEGER NOT NULL CHECK (seq >= 1),
	graph  TEXT    NOT NULL,
	status TEXT    NOT NULL,
	step   INTEGER NOT NULL,
	time   TEXT    NOT NULL,
	body   TEXT    NOT NULL,
	PRIMARY KEY (run_id, seq)
);
`

// migrate creates the schema in an empty database and checks the version
// of an existing one.
func (s *SQLite) migrate(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: sqlite: open %s: %w", s.path, err)
	}
	defer tx.Rollback()
	var version int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("store: sqlite: open %s: %w", s.path, err)
	}
	switch {
	case version == SQLiteSchemaVersion:
		return nil
	case version > SQLiteSchemaVersion:
		return fmt.Errorf("%w: sqlite: open %s: schema version %d, this build reads version %d",
			ErrUnsupportedVersion, s.path, version, SQLiteSchemaVersion)
	case version < 0:
		return fmt.Errorf("store: sqlite: open %s: invalid schema version %d", s.path, version)
	}
	var tables int
	if err := tx.QueryRowContext(ctx,
		"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").Scan(&tables); err != nil {
		return fmt.Errorf("store: sqlite: open %s: %w", s.path, err)
	}
	if tables > 0 {
		return fmt.Errorf("store: sqlite: open %s: not a checkpoint database (%d tables, no schema version)", s.path, tables)
	}
	if _, err := tx.ExecContext(ctx, sqliteSchema); err != nil {
		return fmt.Errorf("store: sqlite: create schema in %s: %w", s.path, err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", SQLiteSchemaVersion)); err != nil {
		return fmt.Errorf("store: sqlite: create schema in %s: %w", s.path, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: sqlite: create schema in %s: %w", s.path, err)
	}
	return nil
}

// Close closes the database. The store must not be used afterwards.
func (s *SQLite) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: sqlite: close %s: %w", s.path, err)
	}
	return nil
}

// Put stores cp in one durable transaction. It fails with ErrInvalidRunID,
// ErrInvalidCheckpoint, ErrStaleSeq (cp.Seq not above the run's latest Seq
// in the database), a database error, or ctx.Err() if ctx is done; nothing
// is stored then.
func (s *SQLite) Put(ctx context.Context, cp graph.Checkpoint) error {
	if err := checkPut(ctx, &cp); err != nil {
		return err
	}
	body, err := marshal(&cp, &cp)
	if err != nil {
		return err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	wrap := func(err error) error {
		return fmt.Errorf("store: sqlite: put run %q seq %d: %w", cp.RunID, cp.Seq, err)
	}
	tx, err := s.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE: holds the write lock from here
	if err != nil {
		return wrap(err)
	}
	defer tx.Rollback()
	var latest sql.NullInt64
	if err := tx.QueryRowContext(ctx,
		"SELECT MAX(seq) FROM checkpoints WHERE run_id = ?", cp.RunID).Scan(&latest); err != nil {
		return wrap(err)
	}
	if latest.Valid && int64(cp.Seq) <= latest.Int64 {
		return staleErr(&cp, int(latest.Int64))
	}
	if _, err := tx.ExecContext(ctx,
		"INSERT INTO checkpoints (run_id, seq, graph, status, step, time, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
		cp.RunID, cp.Seq, cp.Graph, string(cp.Status), cp.Step, timeKey(cp.Time), string(body)); err != nil {
		return wrap(err)
	}
	if err := tx.Commit(); err != nil {
		return wrap(err)
	}
	return nil
}

// Latest returns the run's checkpoint with the highest Seq, or an error
// wrapping graph.ErrNoCheckpoint if the run has none.
func (s *SQLite) Latest(ctx context.Context, runID string) (graph.Checkpoint, error) {
	if err := checkRun(ctx, runID); err != nil {
		return graph.Checkpoint{}, err
	}
	var seq int
	var body []byte
	err := s.db.QueryRowContext(ctx,
		"SELECT seq, body FROM checkpoints WHERE run_id = ? ORDER BY seq DESC LIMIT 1", runID).Scan(&seq, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return graph.Checkpoint{}, noCheckpoint(runID)
	}
	if err != nil {
		return graph.Checkpoint{}, fmt.Errorf("store: sqlite: latest run %q: %w", runID, err)
	}
	var cp graph.Checkpoint
	if err := s.decode(runID, seq, body, &cp); err != nil {
		return graph.Checkpoint{}, err
	}
	return cp, nil
}

// History returns the run's checkpoints in Seq order; it returns no
// checkpoints and no error for an unknown run.
func (s *SQLite) History(ctx context.Context, runID string) ([]graph.Checkpoint, error) {
	if err := checkRun(ctx, runID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx,
		"SELECT seq, body FROM checkpoints WHERE run_id = ? ORDER BY seq", runID)
	if err != nil {
		return nil, fmt.Errorf("store: sqlite: history run %q: %w", runID, err)
	}
	defer rows.Close()
	var out []graph.Checkpoint
	for rows.Next() {
		var seq int
		var body sql.RawBytes
		if err := rows.Scan(&seq, &body); err != nil {
			return nil, fmt.Errorf("store: sqlite: history run %q: %w", runID, err)
		}
		var cp graph.Checkpoint
		if err := s.decode(runID, seq, body, &cp); err != nil {
			return nil, err
		}
		out = append(out, cp)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: sqlite: history run %q: %w", runID, err)
	}
	if out == nil {
		out = []graph.Checkpoint{}
	}
	return out, nil
}

// Runs lists the stored runs, most recently updated first (by the Time of
// each run's latest checkpoint, then by run ID).
func (s *SQLite) Runs(ctx context.Context) ([]graph.RunSummary, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `
		SELECT c.run_id, c.graph, c.status, c.step, c.seq, c.time
		FROM checkpoints c
		JOIN (SELECT run_id, MAX(seq) AS seq FROM checkpoints GROUP BY run_id) l
		  ON c.run_id = l.run_id AND c.seq = l.seq
		ORDER BY c.time DESC, c.run_id ASC`)
	if err != nil {
		return nil, fmt.Errorf("store: sqlite: runs: %w", err)
	}
	defer rows.Close()
	out := []graph.RunSummary{}
	for rows.Next() {
		var r graph.RunSummary
		var status, updated string
		if err := rows.Scan(&r.RunID, &r.Graph, &status, &r.Step, &r.Seq, &updated); err != nil {
			return nil, fmt.Errorf("store: sqlite: runs: %w", err)
		}
		r.Status = graph.RunStatus(status)
		if r.Updated, err = time.Parse(timeKeyLayout, updated); err != nil {
			return nil, fmt.Errorf("%w: sqlite: %s: run %q seq %d: time column: %w", ErrCorrupt, s.path, r.RunID, r.Seq, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: sqlite: runs: %w", err)
	}
	return out, nil
}

// decode decodes a body column into cp and checks it is the row's checkpoint.
func (s *SQLite) decode(runID string, seq int, body []byte, cp *graph.Checkpoint) error {
	if err := json.Unmarshal(body, cp); err != nil {
		return fmt.Errorf("%w: sqlite: %s: run %q seq %d: %w", ErrCorrupt, s.path, runID, seq, err)
	}
	if cp.RunID != runID || cp.Seq != seq {
		return fmt.Errorf("%w: sqlite: %s: run %q seq %d: body holds run %q seq %d",
			ErrCorrupt, s.path, runID, seq, cp.RunID, cp.Seq)
	}
	return nil
}
