package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/deepctx/deepctx/agent/graph"
)

// FSFormatVersion is the version of the checkpoint file format FS writes.
// FS reads files of this version and fails with ErrUnsupportedVersion on a
// newer one.
const FSFormatVersion = 1

// FS is a graph.CheckpointStore that keeps each checkpoint in its own JSON
// file, one folder per run:
//
//	<dir>/<runID>/000001.json
//	<dir>/<runID>/000002.json
//	…
//
// or <dir>/<runID>/<subdir>/000001.json with the FSSubdir option, which
// matches the run folders `deepctx research` writes
// (runs/<id>/checkpoints/). A file is named by its Seq, zero-padded to six
// digits (longer once Seq passes 999999), and holds a small envelope:
//
//	{"version":1,"checkpoint":{...graph.Checkpoint...}}
//
// Put is atomic and durable: it writes a temporary file in the run's folder,
// fsyncs it, renames it into place and fsyncs the folder (and, for a new
// run, the folders above it), so a reader sees either the whole checkpoint
// or none of it, and the checkpoint survives a crash once Put returns.
// Files are created readable and writable by the owner only.
//
// FS keeps no cache: Latest, History and Runs read the folders each time, so
// they see checkpoints that other processes (or other FS values on the same
// folder) have written. Within a process, Puts to a run are serialized, even
// through several FS values on one folder; across processes, a run must have
// one writing process at a time, as the graph runtime guarantees (two
// processes racing on one run could both pass the Seq check).
//
// Reading never falls back silently. Since a rename cannot leave a torn
// file, a checkpoint file that does not decode, or whose run ID or Seq does
// not match its name, has been altered outside this package: Latest,
// History and Runs then fail with an error wrapping ErrCorrupt that names
// the file, instead of resuming from an older checkpoint and redoing work.
// Remove or repair the file to continue. A file written in a newer format
// fails with ErrUnsupportedVersion. Other files in the folders (leftover
// temporary files from a crash, files whose names are not a zero-padded
// Seq, run folders with invalid names) are ignored.
//
// An FS is safe for concurrent use.
type FS struct {
	dir    string
	subdir string
	keep   int
}

// fsLocks serializes Puts to one checkpoint folder within the process, even
// through several FS values on the same root: folder path -> *sync.Mutex.
var fsLocks sync.Map

var _ graph.CheckpointStore = (*FS)(nil)

// FSOption configures an FS.
type FSOption func(*FS)

// FSSubdir places each run's checkpoint files in <dir>/<runID>/<name>/
// instead of <dir>/<runID>/, leaving the run folder free for other files
// (report.md, events.jsonl…). name must be a valid run ID-like path element
// (see ValidateRunID). Optional. Defaults to no subfolder.
func FSSubdir(name string) FSOption {
	return func(s *FS) { s.subdir = name }
}

// FSKeepLast keeps only the n newest checkpoints of each run: after a
// successful Put, older files of that run are removed, best effort (a
// failed removal does not fail the Put). Latest and resuming are
// unaffected; History returns at most n checkpoints. Optional. Defaults to
// 0, which keeps every checkpoint.
func FSKeepLast(n int) FSOption {
	return func(s *FS) { s.keep = n }
}

// NewFS returns a store rooted at dir, creating dir if needed. The store
// reads and extends whatever checkpoints dir already holds.
func NewFS(dir string, opts ...FSOption) (*FS, error) {
	if dir == "" {
		return nil, errors.New("store: fs: empty directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("store: fs: %w", err)
	}
	s := &FS{dir: abs}
	for _, o := range opts {
		o(s)
	}
	if s.subdir != "" && validRunID(s.subdir) != "" {
		return nil, fmt.Errorf("store: fs: invalid subdir %q: %s", s.subdir, validRunID(s.subdir))
	}
	if s.keep < 0 {
		return nil, fmt.Errorf("store: fs: negative FSKeepLast %d", s.keep)
	}
	if err := mkdirAllDurable(abs); err != nil {
		return nil, fmt.Errorf("store: fs: %w", err)
	}
	return s, nil
}

// Dir returns the absolute path of the store's root folder.
func (s *FS) Dir() string { return s.dir }

// Put writes cp to its own file, atomically and durably (see FS). It fails
// with ErrInvalidRunID, ErrInvalidCheckpoint, ErrStaleSeq (cp.Seq not above
// the run's latest Seq on disk, counting damaged files), a file system
// error, or ctx.Err() if ctx is done before writing starts; nothing is
// stored then.
func (s *FS) Put(ctx context.Context, cp graph.Checkpoint) error {
	if err := checkPut(ctx, &cp); err != nil {
		return err
	}
	body, err := marshal(&cp, fsEnvelope[graph.Checkpoint]{Version: FSFormatVersion, Checkpoint: &cp})
	if err != nil {
		return err
	}
	body = append(body, '\n')

	unlock := s.lockRun(cp.RunID)
	defer unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.makeRunDirs(cp.RunID); err != nil {
		return fmt.Errorf("store: put run %q seq %d: %w", cp.RunID, cp.Seq, err)
	}
	dir := s.cpDir(cp.RunID)
	seqs, err := listSeqs(dir)
	if err != nil {
		return fmt.Errorf("store: put run %q seq %d: %w", cp.RunID, cp.Seq, err)
	}
	if n := len(seqs); n > 0 && cp.Seq <= seqs[n-1] {
		return staleErr(&cp, seqs[n-1])
	}
	if err := writeFileAtomic(dir, seqName(cp.Seq), body); err != nil {
		return fmt.Errorf("store: put run %q seq %d: %w", cp.RunID, cp.Seq, err)
	}
	if s.keep > 0 {
		if drop := len(seqs) + 1 - s.keep; drop > 0 {
			for _, seq := range seqs[:drop] {
				_ = os.Remove(filepath.Join(dir, seqName(seq))) // best effort, documented
			}
		}
	}
	return nil
}

// Latest reads the run's checkpoint file with the highest Seq. It fails
// with an error wrapping graph.ErrNoCheckpoint if the run has none, and
// with ErrCorrupt or ErrUnsupportedVersion (naming the file) if that file
// cannot be read; it does not fall back to an older file.
func (s *FS) Latest(ctx context.Context, runID string) (graph.Checkpoint, error) {
	if err := checkRun(ctx, runID); err != nil {
		return graph.Checkpoint{}, err
	}
	var cp graph.Checkpoint
	if err := s.readLatest(runID, &cp); err != nil {
		return graph.Checkpoint{}, err
	}
	return cp, nil
}

// History reads the run's checkpoint files in Seq order; it returns no
// checkpoints and no error for an unknown run. Files removed by retention
// while History runs are skipped.
func (s *FS) History(ctx context.Context, runID string) ([]graph.Checkpoint, error) {
	if err := checkRun(ctx, runID); err != nil {
		return nil, err
	}
	dir := s.cpDir(runID)
	seqs, err := listSeqs(dir)
	if err != nil {
		return nil, fmt.Errorf("store: history run %q: %w", runID, err)
	}
	out := make([]graph.Checkpoint, 0, len(seqs))
	for _, seq := range seqs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var cp graph.Checkpoint
		err := readFile(filepath.Join(dir, seqName(seq)), runID, seq, &cp)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, cp)
	}
	return out, nil
}

// Runs lists the runs that have at least one checkpoint, most recently
// updated first (by the Time of each run's latest checkpoint, then by run
// ID). It reads each run's latest file and fails like Latest if one is
// corrupt.
func (s *FS) Runs(ctx context.Context) ([]graph.RunSummary, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("store: runs: %w", err)
	}
	out := make([]graph.RunSummary, 0, len(entries))
	for _, e := range entries {
		if !e.IsDir() || validRunID(e.Name()) != "" {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var sum fsSummary
		err := s.readLatest(e.Name(), &sum)
		if errors.Is(err, graph.ErrNoCheckpoint) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, graph.RunSummary{
			RunID: sum.RunID, Graph: sum.Graph, Status: sum.Status,
			Step: sum.Step, Seq: sum.Seq, Updated: sum.Time,
		})
	}
	sortRuns(out)
	return out, nil
}

// fsSummary is the part of a checkpoint Runs needs; decoding into it skips
// the state and tasks.
type fsSummary struct {
	RunID  string          `json:"run_id"`
	Seq    int             `json:"seq"`
	Graph  string          `json:"graph"`
	Step   int             `json:"step"`
	Status graph.RunStatus `json:"status"`
	Time   time.Time       `json:"time"`
}

// fsEnvelope is the on-disk format of a checkpoint file.
type fsEnvelope[T any] struct {
	Version    int `json:"version"`
	Checkpoint *T  `json:"checkpoint"`
}

// readLatest decodes the run's newest checkpoint file into dst, which is a
// *graph.Checkpoint or an *fsSummary.
func (s *FS) readLatest(runID string, dst any) error {
	dir := s.cpDir(runID)
	// A concurrent Put with retention may remove the file we listed once a
	// newer one exists; list again then. The newest file is never removed.
	for attempt := 0; ; attempt++ {
		seqs, err := listSeqs(dir)
		if err != nil {
			return fmt.Errorf("store: run %q: %w", runID, err)
		}
		if len(seqs) == 0 {
			return noCheckpoint(runID)
		}
		seq := seqs[len(seqs)-1]
		err = readFile(filepath.Join(dir, seqName(seq)), runID, seq, dst)
		if errors.Is(err, fs.ErrNotExist) && attempt < 3 {
			continue
		}
		return err
	}
}

// readFile decodes the checkpoint file path, which must hold run runID's
// checkpoint seq, into dst.
func readFile(path, runID string, seq int, dst any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("store: read checkpoint: %w", err) // *PathError names the file
	}
	var version int
	var gotRun string
	var gotSeq int
	switch d := dst.(type) {
	case *graph.Checkpoint:
		env := fsEnvelope[graph.Checkpoint]{Checkpoint: d}
		err = json.Unmarshal(data, &env)
		version, gotRun, gotSeq = env.Version, d.RunID, d.Seq
	case *fsSummary:
		env := fsEnvelope[fsSummary]{Checkpoint: d}
		err = json.Unmarshal(data, &env)
		version, gotRun, gotSeq = env.Version, d.RunID, d.Seq
	default:
		return fmt.Errorf("store: internal error: cannot decode into %T", dst)
	}
	switch {
	case version > FSFormatVersion:
		return fmt.Errorf("%w: %s: file version %d, this build reads version %d",
			ErrUnsupportedVersion, path, version, FSFormatVersion)
	case err != nil:
		return fmt.Errorf("%w: %s: %w", ErrCorrupt, path, err)
	case version != FSFormatVersion:
		return fmt.Errorf("%w: %s: missing or invalid format version %d", ErrCorrupt, path, version)
	case gotRun != runID || gotSeq != seq:
		return fmt.Errorf("%w: %s: file holds run %q seq %d", ErrCorrupt, path, gotRun, gotSeq)
	}
	return nil
}

func (s *FS) lockRun(runID string) (unlock func()) {
	dir := s.cpDir(runID)
	v, ok := fsLocks.Load(dir)
	if !ok {
		v, _ = fsLocks.LoadOrStore(dir, new(sync.Mutex))
	}
	l := v.(*sync.Mutex)
	l.Lock()
	return l.Unlock
}

// cpDir is the folder holding the run's checkpoint files.
func (s *FS) cpDir(runID string) string {
	if s.subdir == "" {
		return filepath.Join(s.dir, runID)
	}
	return filepath.Join(s.dir, runID, s.subdir)
}

// makeRunDirs creates the run's folders, durably, if they do not exist.
func (s *FS) makeRunDirs(runID string) error {
	runDir := filepath.Join(s.dir, runID)
	if err := mkdirDurable(runDir, s.dir); err != nil {
		return err
	}
	if s.subdir != "" {
		return mkdirDurable(filepath.Join(runDir, s.subdir), runDir)
	}
	return nil
}

// mkdirAllDurable is os.MkdirAll that also fsyncs the parent of every
// folder it creates.
func mkdirAllDurable(dir string) error {
	var missing []string
	for p := dir; ; p = filepath.Dir(p) {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) || filepath.Dir(p) == p {
			break
		}
		missing = append(missing, p)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, p := range missing {
		if err := syncDir(filepath.Dir(p)); err != nil {
			return err
		}
	}
	return nil
}

// mkdirDurable creates dir, a child of parent, and fsyncs parent so the new
// entry survives a crash. An existing dir is left alone.
func mkdirDurable(dir, parent string) error {
	err := os.Mkdir(dir, 0o755)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return syncDir(parent)
}

// seqName is the file name of checkpoint seq.
func seqName(seq int) string {
	const width = 6
	s := strconv.Itoa(seq)
	if len(s) < width {
		s = "000000"[:width-len(s)] + s
	}
	return s + ".json"
}

// parseSeqName returns the Seq a file name encodes, or false for a name that
// is not exactly seqName of a positive Seq (temporary files, stray files).
func parseSeqName(name string) (int, bool) {
	digits, ok := strings.CutSuffix(name, ".json")
	if !ok || len(digits) < 6 {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	seq, err := strconv.Atoi(digits)
	if err != nil || seq < 1 || seqName(seq) != name {
		return 0, false
	}
	return seq, true
}

// listSeqs returns the Seqs of the checkpoint files in dir, ascending; none
// if dir does not exist.
func listSeqs(dir string) ([]int, error) {
	f, err := os.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return nil, err
	}
	seqs := make([]int, 0, len(names))
	for _, n := range names {
		if seq, ok := parseSeqName(n); ok {
			seqs = append(seqs, seq)
		}
	}
	slices.Sort(seqs)
	return seqs, nil
}

// writeFileAtomic creates dir/name with data so that dir/name either does
// not exist or holds all of data, durably: temp file in dir, write, fsync,
// rename, fsync dir.
func writeFileAtomic(dir, name string, data []byte) (err error) {
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir fsyncs a directory so that entries created or renamed in it are
// durable. Windows cannot fsync a directory; NTFS journals renames.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
