package eval

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/deepctx/deepctx/agent/llm"
)

// The eval log is a folder, readable with jq and safe against kill -9:
//
//	log.json                 Header: suite, versions, variants, scorers, status
//	index.jsonl              one line per finished attempt, appended (a journal; on resume a key may repeat, the last line wins)
//	samples/<variant>/<sample>/e<epoch>/record.json   the Record, written atomically
//	samples/<variant>/<sample>/e<epoch>/run/          the run folder (report, sources, events)
//	pairs/<a>~<b>/<sample>.e<epoch>.json              side-by-side judge verdicts
//	cache/<key>.json                                  values scorers compute once (rubrics)
//
// record.json is the source of truth: an attempt counts as finished when
// its record.json exists with status "ok". index.jsonl is a convenience
// for tailing; a line may be missing after a crash, never a record.

// Log file and folder names.
const (
	headerFile  = "log.json"
	indexFile   = "index.jsonl"
	recordFile  = "record.json"
	runDirName  = "run"
	samplesDir  = "samples"
	pairsDir    = "pairs"
	cacheDir    = "cache"
	logFormatV1 = 1
)

// Log statuses.
const (
	StatusRunning     = "running"
	StatusFinished    = "finished"    // every attempt ran; some may have failed
	StatusStopped     = "stopped"     // a budget (--max-cost, --max-tokens) stopped it
	StatusInterrupted = "interrupted" // cancelled (Ctrl-C) or killed; resumable
)

// Record statuses.
const (
	RecordOK    = "ok"
	RecordError = "error"
)

// Header describes an eval: what ran, on what, with what.
type Header struct {
	Format    int        `json:"format"`
	Suite     *Suite     `json:"suite"`
	SuiteHash string     `json:"suite_hash"`
	Corpus    []Snapshot `json:"corpus,omitempty"`
	Variants  []string   `json:"variants"`
	// Samples and Split record a selection of the suite's samples, so a
	// resume runs the same selection.
	Samples   []string `json:"samples,omitempty"`
	Split     string   `json:"split,omitempty"`
	Epochs    int      `json:"epochs"`
	Reducer   string   `json:"reducer"`
	Scorers   []string `json:"scorers"`
	Judges    []string `json:"judges,omitempty"`
	Version   string   `json:"deepctx_version"`
	GoVersion string   `json:"go_version"`
	System    string   `json:"system,omitempty"`
	// Command is the command line that ran the eval, for reports.
	Command string    `json:"command,omitempty"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
	Status  string    `json:"status"`
	// Note says why the eval stopped early, when it did.
	Note string `json:"note,omitempty"`
}

// Snapshot identifies a corpus folder by the content hash of everything
// indexed from it.
type Snapshot struct {
	Path      string `json:"path"`
	SHA256    string `json:"sha256"`
	Documents int    `json:"documents"`
	Passages  int    `json:"passages"`
}

// Record is one attempt of one sample under one variant and epoch.
type Record struct {
	Variant  string   `json:"variant"`
	Sample   string   `json:"sample"`
	Epoch    int      `json:"epoch"`
	Split    string   `json:"split,omitempty"`
	Tags     []string `json:"tags,omitempty"`
	Status   string   `json:"status"`
	Error    string   `json:"error,omitempty"`
	Attempts int      `json:"attempts"`
	// Spent sums the usage of every attempt, failed ones included, and
	// CostUSD prices it when the runner could (Options.Cost).
	Spent   llm.Usage `json:"spent"`
	CostUSD *float64  `json:"cost_usd,omitempty"`
	// Scored is set once the scorers ran; a record written by a run killed
	// while scoring is scored on resume without running the system again.
	Scored   bool      `json:"scored"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// WallNS is the system's time on the sample, ScoreNS the scorers'.
	WallNS  time.Duration    `json:"wall_ns"`
	ScoreNS time.Duration    `json:"score_ns"`
	Output  Output           `json:"output"`
	Scores  map[string]Score `json:"scores"`
}

// Key names the record's attempt.
func (r Record) Key() TaskKey { return TaskKey{r.Variant, r.Sample, r.Epoch} }

// TaskKey names one cell of the matrix.
type TaskKey struct {
	Variant string
	Sample  string
	Epoch   int
}

func (k TaskKey) String() string { return fmt.Sprintf("%s/%s/e%d", k.Variant, k.Sample, k.Epoch) }

// Log is an eval log folder. Its methods are safe for concurrent use.
type Log struct {
	Dir string
	mu  sync.Mutex
}

// CreateLog makes a new log folder at dir and writes h. dir must not hold
// a log already.
func CreateLog(dir string, h Header) (*Log, error) {
	if _, err := os.Stat(filepath.Join(dir, headerFile)); err == nil {
		return nil, fmt.Errorf("%w: %s already holds an eval log; resume it with --resume or choose another --out", ErrSelection, dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("eval: log: %w", err)
	}
	l := &Log{Dir: dir}
	h.Format = logFormatV1
	if h.GoVersion == "" {
		h.GoVersion = runtime.Version()
	}
	if err := l.WriteHeader(h); err != nil {
		return nil, err
	}
	return l, nil
}

// OpenLog opens the log folder at dir.
func OpenLog(dir string) (*Log, error) {
	if _, err := os.Stat(filepath.Join(dir, headerFile)); err != nil {
		return nil, fmt.Errorf("eval: %s is not an eval log (no %s): %w", dir, headerFile, err)
	}
	return &Log{Dir: dir}, nil
}

// Header reads log.json.
func (l *Log) Header() (Header, error) {
	var h Header
	data, err := os.ReadFile(filepath.Join(l.Dir, headerFile))
	if err != nil {
		return h, fmt.Errorf("eval: log: %w", err)
	}
	if err := json.Unmarshal(data, &h); err != nil {
		return h, fmt.Errorf("eval: log %s: %w", filepath.Join(l.Dir, headerFile), err)
	}
	return h, nil
}

// WriteHeader replaces log.json atomically.
func (l *Log) WriteHeader(h Header) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.writeHeader(h)
}

func (l *Log) writeHeader(h Header) error {
	h.Updated = time.Now().UTC()
	return writeJSONAtomic(filepath.Join(l.Dir, headerFile), h)
}

// UpdateHeader applies f to the header and writes it back.
func (l *Log) UpdateHeader(f func(*Header)) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	h, err := l.Header()
	if err != nil {
		return err
	}
	f(&h)
	return l.writeHeader(h)
}

// TaskDir returns the folder of one attempt.
func (l *Log) TaskDir(k TaskKey) string {
	return filepath.Join(l.Dir, samplesDir, k.Variant, k.Sample, fmt.Sprintf("e%d", k.Epoch))
}

// RunDir returns the run folder of one attempt: the system's files.
func (l *Log) RunDir(k TaskKey) string { return filepath.Join(l.TaskDir(k), runDirName) }

// WriteRecord stores r atomically and appends it to the index.
func (l *Log) WriteRecord(r Record) error {
	dir := l.TaskDir(r.Key())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("eval: log: %w", err)
	}
	if err := writeJSONAtomic(filepath.Join(dir, recordFile), r); err != nil {
		return err
	}
	return l.appendIndex(r)
}

// rewriteRecord replaces a record already in the log (its scores), without
// a new index line.
func (l *Log) rewriteRecord(r Record) error {
	return writeJSONAtomic(filepath.Join(l.TaskDir(r.Key()), recordFile), r)
}

type indexLine struct {
	Variant string    `json:"variant"`
	Sample  string    `json:"sample"`
	Epoch   int       `json:"epoch"`
	Status  string    `json:"status"`
	At      time.Time `json:"at"`
	Error   string    `json:"error,omitempty"`
}

func (l *Log) appendIndex(r Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, err := os.OpenFile(filepath.Join(l.Dir, indexFile), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("eval: log index: %w", err)
	}
	data, _ := json.Marshal(indexLine{r.Variant, r.Sample, r.Epoch, r.Status, r.Finished, r.Error})
	_, err = f.Write(append(data, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("eval: log index: %w", err)
	}
	return nil
}

// Records reads every record of the log, sorted by variant, sample and
// epoch. A record file that cannot be read (cut off by a crash before
// the atomic rename could not leave one, but a user may edit) is an error
// naming it.
func (l *Log) Records() ([]Record, error) {
	root := filepath.Join(l.Dir, samplesDir)
	var out []Record
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, os.ErrNotExist) && path == root {
				return filepath.SkipAll
			}
			return err
		}
		if d.IsDir() && d.Name() == runDirName {
			return filepath.SkipDir
		}
		if d.IsDir() || d.Name() != recordFile {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var r Record
		if err := json.Unmarshal(data, &r); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("eval: log records: %w", err)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Variant != b.Variant {
			return a.Variant < b.Variant
		}
		if a.Sample != b.Sample {
			return a.Sample < b.Sample
		}
		return a.Epoch < b.Epoch
	})
	return out, nil
}

// PairRecord is a side-by-side verdict between two variants on a sample.
type PairRecord struct {
	A      string               `json:"a"`
	B      string               `json:"b"`
	Sample string               `json:"sample"`
	Epoch  int                  `json:"epoch"`
	Scores map[string]PairScore `json:"scores"`
}

// WritePair stores a pair verdict atomically.
func (l *Log) WritePair(p PairRecord) error {
	path := filepath.Join(l.Dir, pairsDir, p.A+"~"+p.B, fmt.Sprintf("%s.e%d.json", p.Sample, p.Epoch))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("eval: log: %w", err)
	}
	return writeJSONAtomic(path, p)
}

// Pairs reads every pair verdict of the log.
func (l *Log) Pairs() ([]PairRecord, error) {
	matches, _ := filepath.Glob(filepath.Join(l.Dir, pairsDir, "*", "*.json"))
	sort.Strings(matches)
	var out []PairRecord
	for _, m := range matches {
		var p PairRecord
		data, err := os.ReadFile(m)
		if err == nil {
			err = json.Unmarshal(data, &p)
		}
		if err != nil {
			return nil, fmt.Errorf("eval: log pairs: %s: %w", m, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// Cache returns the log's cache of values scorers compute once.
func (l *Log) Cache() Cache { return LogCache(l.Dir) }

// LogCache returns the cache of the eval log at dir, which need not exist
// yet: scorers built before Run creates the log can use it.
func LogCache(dir string) Cache { return fileCache{dir: filepath.Join(dir, cacheDir)} }

type fileCache struct{ dir string }

func (c fileCache) path(key string) string {
	safe := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ':' || r < ' ' {
			return '_'
		}
		return r
	}, key)
	return filepath.Join(c.dir, safe+".json")
}

func (c fileCache) Load(key string, v any) (bool, error) {
	data, err := os.ReadFile(c.path(key))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, json.Unmarshal(data, v)
}

func (c fileCache) Save(key string, v any) error {
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return err
	}
	return writeJSONAtomic(c.path(key), v)
}

// MemoryCache is a Cache in memory, for tests and one-off scoring.
type MemoryCache struct {
	mu sync.Mutex
	m  map[string][]byte
}

// Load implements Cache.
func (c *MemoryCache) Load(key string, v any) (bool, error) {
	c.mu.Lock()
	data, ok := c.m[key]
	c.mu.Unlock()
	if !ok {
		return false, nil
	}
	return true, json.Unmarshal(data, v)
}

// Save implements Cache.
func (c *MemoryCache) Save(key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string][]byte{}
	}
	c.m[key] = data
	return nil
}

// writeJSONAtomic writes v as indented JSON to path through a synced
// temporary file and a rename, so a crash leaves the old file or the new
// one, never a torn one.
func writeJSONAtomic(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("eval: encode %s: %w", filepath.Base(path), err)
	}
	return writeFileAtomic(path, append(data, '\n'))
}

func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("eval: write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err = tmp.Write(data); err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("eval: write %s: %w", path, err)
	}
	return nil
}
