package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"github.com/deepctx/deepctx/agent/graph/store"
)

// Run statuses recorded in run.json.
const (
	statusRunning     = "running"
	statusDone        = "done"
	statusFailed      = "failed"
	statusInterrupted = "interrupted" // Ctrl-C, a kill, or a timeout: resume continues it
	statusPaused      = "paused"      // waiting for the answer to a clarifying question
)

// runMeta is run.json: what a run folder holds and how to resume it.
type runMeta struct {
	ID       string    `json:"id"`
	Question string    `json:"question"`
	Status   string    `json:"status"`
	Engine   string    `json:"engine"`
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
	// Pending is the clarifying question a paused run waits on.
	Pending  string   `json:"pending_question,omitempty"`
	Error    string   `json:"error,omitempty"`
	Settings settings `json:"settings"`
	// PID is the process running the run while Status is running.
	PID int `json:"pid,omitempty"`
}

// displayStatus is the status to show: a run whose process is gone
// while run.json still says running was killed.
func (m runMeta) displayStatus() string {
	if m.Status != statusRunning {
		return m.Status
	}
	if m.PID > 0 && syscall.Kill(m.PID, 0) != nil {
		return statusInterrupted + " (killed)"
	}
	return statusRunning
}

// runFolder is one run's folder: run.json, report.md, sources.json,
// events.jsonl, checkpoints/ and artifacts/. Its base name is the run ID
// in the checkpoint store rooted at its parent.
type runFolder struct {
	Dir string
}

func (f runFolder) ID() string           { return filepath.Base(f.Dir) }
func (f runFolder) root() string         { return filepath.Dir(f.Dir) }
func (f runFolder) path(n string) string { return filepath.Join(f.Dir, n) }

// newRunID names a run by its start time plus a random suffix.
func newRunID(now time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return now.Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

// createRunFolder makes the folder for a new run. It refuses a folder
// that already holds a run, so a report is never overwritten.
func createRunFolder(dir string) (runFolder, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return runFolder{}, err
	}
	f := runFolder{Dir: abs}
	if err := store.ValidateRunID(f.ID()); err != nil {
		return f, usagef("--out %s: the folder name is the run ID: %v", dir, err)
	}
	if err := refuseExistingRun(dir); err != nil {
		return f, err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return f, fmt.Errorf("run folder: %w", err)
	}
	return f, nil
}

// refuseExistingRun fails when dir already holds a run, so a report is
// never overwritten.
func refuseExistingRun(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "run.json")); err == nil {
		return usagef("--out %s already holds a run; resume it with 'deepctx resume %s' or choose another folder", dir, dir)
	}
	return nil
}

// openRunFolder opens an existing run folder and reads its run.json.
func openRunFolder(dir string) (runFolder, runMeta, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return runFolder{}, runMeta{}, err
	}
	f := runFolder{Dir: abs}
	m, err := f.readMeta()
	if errors.Is(err, os.ErrNotExist) {
		return f, m, usagef("%s is not a run folder (no run.json)", dir)
	}
	return f, m, err
}

func (f runFolder) readMeta() (runMeta, error) {
	var m runMeta
	data, err := os.ReadFile(f.path("run.json"))
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("%s: %w", f.path("run.json"), err)
	}
	return m, nil
}

// writeMeta saves run.json atomically.
func (f runFolder) writeMeta(m runMeta) error {
	m.Updated = time.Now().UTC().Truncate(time.Second)
	m.PID = 0
	if m.Status == statusRunning {
		m.PID = os.Getpid()
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(f.path("run.json"), append(data, '\n'))
}

// writeFileAtomic writes data to a temporary file beside path, syncs it
// and renames it over path, so a crash leaves the old or the new file.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// listRuns reads the run folders directly under root, newest first.
// Folders without a readable run.json are skipped.
func listRuns(root string) ([]runMeta, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	var out []runMeta
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		m, err := runFolder{Dir: filepath.Join(root, e.Name())}.readMeta()
		if err != nil {
			continue
		}
		out = append(out, m)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, nil
}
