package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/graph/observe"
)

// goDocCorpus copies a few of the Go documentation's pages into a temp
// folder: a real corpus that needs no download.
func goDocCorpus(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(runtimeGOROOT(t), "doc")
	for _, name := range []string{"go_mem.html", "godebug.md"} {
		data, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Skipf("the Go documentation is not installed: %v", err)
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
	return dir
}

func runtimeGOROOT(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOROOT").Output()
	require.NoError(t, err)
	return strings.TrimSpace(string(out))
}

type sourceEntry struct {
	N     int    `json:"n"`
	DocID string `json:"doc_id"`
	Title string `json:"title"`
	Path  string `json:"path"`
	Chunk int    `json:"chunk"`
}

func TestResearchOfflineEndToEnd(t *testing.T) {
	corpus := goDocCorpus(t)
	work := t.TempDir()
	out := filepath.Join(work, "runs", "first")
	db := filepath.Join(work, "index")
	code, stdout, stderr := runCLI(t, "", "research", "--corpus", corpus, "--db", db, "--out", out, "--no-clarify",
		"--json", "How does the Go memory model define happens-before for channels?")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "offline extractive engine")

	var sum runSummary
	require.NoError(t, json.Unmarshal([]byte(stdout), &sum), stdout)
	assert.Equal(t, statusDone, sum.Status)
	assert.Equal(t, "extractive", sum.Engine)
	assert.Positive(t, sum.Cited)

	report, err := os.ReadFile(filepath.Join(out, "report.md"))
	require.NoError(t, err)
	var sources []sourceEntry
	data, err := os.ReadFile(filepath.Join(out, "sources.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &sources))
	require.Len(t, sources, sum.Cited)

	// Every citation resolves to a source, every source to a file of the
	// corpus.
	body, _, _ := strings.Cut(string(report), "\n## Sources\n")
	cites := regexp.MustCompile(`\[(\d+)\]`).FindAllStringSubmatch(body, -1)
	require.NotEmpty(t, cites)
	for _, c := range cites {
		n, _ := strconv.Atoi(c[1])
		require.True(t, n >= 1 && n <= len(sources), "citation [%d] of %d sources", n, len(sources))
	}
	for i, s := range sources {
		assert.Equal(t, i+1, s.N)
		assert.FileExists(t, s.Path)
		assert.Regexp(t, `^[0-9a-f]{12}$`, s.DocID)
	}

	// The event log is readable and holds the run from start to end.
	f, err := os.Open(filepath.Join(out, "events.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	kinds := map[string]int{}
	for ev, err := range observe.ReadJSONL(f) {
		require.NoError(t, err)
		kinds[string(ev.Kind)]++
	}
	assert.Equal(t, 1, kinds["run_start"])
	assert.Equal(t, 1, kinds["run_end"])
	assert.Positive(t, kinds["model_call"])
	assert.Positive(t, kinds["tool_call"])
	assert.DirExists(t, filepath.Join(out, "checkpoints"))

	// runs lists it; resume on a finished run says so and changes nothing.
	code, stdout, _ = runCLI(t, "", "runs", "--dir", filepath.Join(work, "runs"))
	require.Equal(t, exitOK, code)
	assert.Regexp(t, `(?m)^first\s+done\s+`, stdout)
	code, _, stderr = runCLI(t, "", "resume", out)
	require.Equal(t, exitOK, code)
	assert.Contains(t, stderr, "already done")

	// A second run into the same folder is refused: reports are never
	// overwritten.
	code, _, stderr = runCLI(t, "", "research", "--db", db, "--out", out, "--no-clarify", "again?")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "already holds a run")
}

func TestResearchUsageErrors(t *testing.T) {
	work := t.TempDir()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no question", []string{"research"}, "requires at least 1 arg"},
		{"bad role", []string{"research", "--role", "poet=openai:gpt-4.1", "q"}, "unknown role"},
		{"role without spec", []string{"research", "--role", "writer", "q"}, "want ROLE=SPEC"},
		{"bad model", []string{"research", "--model", "nosuch:model", "q"}, "--model"},
		{"negative", []string{"research", "--max-tool-calls", "-3", "q"}, "must be positive"},
		{"missing corpus", []string{"research", "--db", filepath.Join(work, "db"), "--corpus", filepath.Join(work, "nope"), "q"}, "no such file"},
		{"empty index", []string{"research", "--db", filepath.Join(work, "db2"), "--out", filepath.Join(work, "r2"), "q"}, "is empty"},
		{"not a run", []string{"resume", work}, "not a run folder"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, "", tc.args...)
			assert.Equal(t, exitUsage, code, stderr)
			assert.Contains(t, stderr, tc.want)
		})
	}
}

func TestConfigFile(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "deepctx.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("corpus: [docs]\ndb: index\nmax-tool-calls: 5\nrole:\n  writer: openai:gpt-4.1\n"), 0o644))
	s, path, err := loadSettings(cfg)
	require.NoError(t, err)
	assert.Equal(t, cfg, path)
	assert.Equal(t, []string{filepath.Join(dir, "docs")}, s.Corpus)
	assert.Equal(t, filepath.Join(dir, "index"), s.DB)
	assert.Equal(t, 5, s.MaxToolCalls)
	assert.Equal(t, map[string]string{"writer": "openai:gpt-4.1"}, s.Roles)

	require.NoError(t, os.WriteFile(cfg, []byte("max-tool-cals: 5\n"), 0o644))
	_, _, err = loadSettings(cfg)
	assert.ErrorContains(t, err, "max-tool-cals", "a typo is an error, not a silent default")
}

func TestClarifyingQuestionPausesTheRun(t *testing.T) {
	corpus := goDocCorpus(t)
	work := t.TempDir()
	out := filepath.Join(work, "runs", "vague")
	db := filepath.Join(work, "index")
	code, _, stderr := runCLI(t, "", "research", "--corpus", corpus, "--db", db, "--out", out, "memory?")
	require.Equal(t, exitPaused, code, stderr)
	assert.Contains(t, stderr, "The agent asks: ")
	assert.Contains(t, stderr, "deepctx resume")
	_, meta, err := openRunFolder(out)
	require.NoError(t, err)
	assert.Equal(t, statusPaused, meta.Status)
	assert.NotEmpty(t, meta.Pending)

	code, _, stderr = runCLI(t, "", "resume", out)
	assert.Equal(t, exitUsage, code, "a paused run needs --answer")
	assert.Contains(t, stderr, "--answer")

	code, stdout, stderr := runCLI(t, "", "resume", "--answer", "the Go memory model and channels", out)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "report.md")
	assert.FileExists(t, filepath.Join(out, "report.md"))
}
