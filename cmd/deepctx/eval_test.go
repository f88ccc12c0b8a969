package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/eval"
)

// evalSuite writes a small suite over a copy of two Go documentation
// pages: two answerable questions and one the corpus cannot answer.
func evalSuite(t *testing.T) string {
	t.Helper()
	corpus := goDocCorpus(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "suite.yaml")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ref.md"), []byte("A send on a channel is synchronized before the completion of the corresponding receive.\n"), 0o644))
	require.NoError(t, os.WriteFile(path, []byte(`name: mini
corpus: `+corpus+`
samples:
  - id: channels
    split: test
    question: "How does the Go memory model order a send on a channel and the corresponding receive?"
    key_facts:
      - any: ["synchronized before the completion of the corresponding receive"]
      - any: ["closing of a channel"]
    expected_sources: [go_mem.html]
    reference: ref.md
  - id: godebug
    split: dev
    question: "What is a GODEBUG setting and how does a go.mod go line affect the defaults?"
    key_facts:
      - any: ["GODEBUG"]
      - any: ["go line"]
    expected_sources: [godebug.md]
  - id: bread
    split: test
    question: "How long should sourdough bread proof before baking?"
    tags: [unanswerable]
variants:
  - name: offline
  - name: no-critique
    research: {max_critique_rounds: 0}
`), 0o644))
	return path
}

func TestEvalRunViewCompareRescoreOffline(t *testing.T) {
	suite := evalSuite(t)
	work := t.TempDir()
	logDir := filepath.Join(work, "log")
	db := filepath.Join(work, "index")
	code, stdout, stderr := runCLI(t, "", "eval", "run", suite, "--db", db, "--out", logDir, "--json")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "[6/6]", "progress names every attempt")
	assert.Contains(t, stderr, "ETA")

	var sum struct {
		Variants []struct {
			Name   string `json:"name"`
			Scores map[string]struct {
				Mean   float64    `json:"mean"`
				StdErr float64    `json:"stderr"`
				CI     [2]float64 `json:"ci"`
				N      int        `json:"n"`
			} `json:"scores"`
		} `json:"variants"`
		Samples []json.RawMessage `json:"samples"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &sum), stdout)
	require.Len(t, sum.Variants, 2)
	assert.Len(t, sum.Samples, 6)
	fr := sum.Variants[0].Scores["fact_recall"]
	assert.Equal(t, 2, fr.N, "the unanswerable sample has no facts to recall")
	assert.LessOrEqual(t, fr.CI[0], fr.Mean)
	assert.GreaterOrEqual(t, fr.CI[1], fr.Mean)
	assert.Equal(t, 3, sum.Variants[0].Scores["citation_accuracy"].N, "every report cites passages, the unanswerable one too")
	_, hasRACE := sum.Variants[0].Scores["race"]
	assert.True(t, hasRACE)
	assert.Equal(t, 0, sum.Variants[0].Scores["race"].N, "no judge: skipped, not zero")
	for _, f := range []string{"log.json", "index.jsonl", "summary.json", "report.md", "report.html"} {
		assert.FileExists(t, filepath.Join(logDir, f))
	}

	// Zero means zero: the no-critique variant never called the critic.
	l, err := eval.OpenLog(logDir)
	require.NoError(t, err)
	records, err := l.Records()
	require.NoError(t, err)
	for _, r := range records {
		require.Equal(t, eval.RecordOK, r.Status, r.Error)
		if r.Variant == "no-critique" {
			assert.Len(t, r.Output.Drafts, 1)
			for _, d := range r.Output.Drafts {
				assert.Nil(t, d.CriticScore, "no critic ran")
			}
		} else {
			require.NotEmpty(t, r.Output.Drafts)
			assert.NotNil(t, r.Output.Drafts[0].CriticScore, "the critic reviewed the first draft")
		}
		assert.FileExists(t, filepath.Join(l.RunDir(r.Key()), "report.md"))
		assert.FileExists(t, filepath.Join(l.RunDir(r.Key()), "events.jsonl"))
	}

	code, stdout, stderr = runCLI(t, "", "eval", "view", logDir)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "| fact_recall |")
	html, err := os.ReadFile(filepath.Join(logDir, "report.html"))
	require.NoError(t, err)
	assert.NotContains(t, string(html), "<script src")

	code, stdout, stderr = runCLI(t, "", "eval", "compare", logDir, "--a", "offline", "--b", "no-critique")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "fact_recall")
	assert.Contains(t, stdout, "no significant difference")

	code, stdout, stderr = runCLI(t, "", "eval", "compare", logDir, logDir, "--json")
	require.Equal(t, exitOK, code, stderr)
	var cmps []eval.Comparison
	require.NoError(t, json.Unmarshal([]byte(stdout), &cmps))
	require.NotEmpty(t, cmps)
	for _, c := range cmps {
		assert.Zero(t, c.Paired.MeanDiff, "a log against itself differs nowhere")
	}

	code, _, stderr = runCLI(t, "", "eval", "rescore", logDir, "--scorer", "source_recall", "--db", db)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "rescored 6 records with 1 scorers")

	// Gates: an impossible floor fails with exit 4 and says why.
	code, _, stderr = runCLI(t, "", "eval", "run", suite, "--db", db, "--out", filepath.Join(work, "gated"),
		"--variant", "offline", "--fail-under", "fact_recall=1.01")
	assert.Equal(t, exitGate, code, stderr)
	assert.Contains(t, stderr, "fact_recall")
	code, _, stderr = runCLI(t, "", "eval", "run", suite, "--db", db, "--out", filepath.Join(work, "passed"),
		"--variant", "offline", "--fail-under", "fact_recall=0", "--baseline", logDir)
	assert.Equal(t, exitOK, code, stderr)
}

func TestEvalScoreOneRunFolder(t *testing.T) {
	suite := evalSuite(t)
	work := t.TempDir()
	db := filepath.Join(work, "index")
	s, err := eval.LoadSuite(suite)
	require.NoError(t, err)
	run := filepath.Join(work, "run")
	code, _, stderr := runCLI(t, "", "research", "--corpus", s.Corpus[0], "--db", db, "--out", run, "--no-clarify",
		"How does the Go memory model order a send on a channel and the corresponding receive?")
	require.Equal(t, exitOK, code, stderr)

	code, stdout, stderr := runCLI(t, "", "eval", "score", "--suite", suite, "--sample", "channels", "--db", db, run, "--json")
	require.Equal(t, exitOK, code, stderr)
	var got struct {
		Sample string                `json:"sample"`
		Scores map[string]eval.Score `json:"scores"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &got), stdout)
	assert.Equal(t, "channels", got.Sample)
	assert.True(t, got.Scores["fact_recall"].Valid())
	assert.True(t, got.Scores["citation_accuracy"].Valid())
	assert.Equal(t, 1.0, got.Scores["source_recall"].Value)
	assert.True(t, got.Scores["race"].Skipped)
}

func TestEvalUsageErrors(t *testing.T) {
	suite := evalSuite(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"eval", "run"}, "accepts 1 arg"},
		{[]string{"eval", "run", "nope.yaml"}, "invalid suite"},
		{[]string{"eval", "run", suite, "--fail-under", "fact_recall"}, "SCORER=MIN"},
		{[]string{"eval", "run", suite, "--reducer", "best"}, "reducer"},
		{[]string{"eval", "run", suite, "--sample", "ghost", "--db", filepath.Join(t.TempDir(), "i")}, `no sample "ghost"`},
		{[]string{"eval", "run", suite, "--scorer", "vibes", "--db", filepath.Join(t.TempDir(), "i")}, "unknown scorer"},
		{[]string{"eval", "view", t.TempDir()}, "not an eval log"},
		{[]string{"eval", "run", suite, "--resume", t.TempDir(), "--db", filepath.Join(t.TempDir(), "i")}, "not an eval log"},
		{[]string{"eval", "score", "--suite", suite, t.TempDir()}, "--sample are required"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			code, _, stderr := runCLI(t, "", c.args...)
			assert.Equal(t, exitUsage, code, stderr)
			assert.Contains(t, stderr, c.want)
		})
	}
}

func TestCritiqueRoundsZeroTurnsTheCriticOff(t *testing.T) {
	zero, two := 0, 2
	assert.Equal(t, 0, settings{}.critiqueRounds(), "unset keeps the default")
	assert.Equal(t, -1, settings{CritiqueRounds: &zero}.critiqueRounds(), "an explicit 0 turns critique off")
	assert.Equal(t, 2, settings{CritiqueRounds: &two}.critiqueRounds())

	dir := t.TempDir()
	cfg := filepath.Join(dir, "deepctx.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("critique-rounds: 0\n"), 0o644))
	s, _, err := loadSettings(cfg)
	require.NoError(t, err)
	require.NotNil(t, s.CritiqueRounds, "an explicit 0 in the config file is kept")
	assert.Equal(t, -1, s.critiqueRounds())
}

// fakeLog writes an eval log of variant v whose fact_recall is value on
// n samples.
func fakeLog(t *testing.T, v string, n int, value func(i int) float64) (string, []eval.Record) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "log")
	s := &eval.Suite{Name: "fake", Corpus: eval.Paths{"/c"}, Variants: []eval.Variant{{Name: v}}}
	l, err := eval.CreateLog(dir, eval.Header{Suite: s, Variants: []string{v}, Scorers: []string{"fact_recall"}, Reducer: "mean"})
	require.NoError(t, err)
	var recs []eval.Record
	for i := range n {
		r := eval.Record{Variant: v, Sample: "s" + strconv.Itoa(i), Epoch: 1, Status: eval.RecordOK, Scored: true,
			Scores: map[string]eval.Score{"fact_recall": {Value: value(i)}}}
		require.NoError(t, l.WriteRecord(r))
		recs = append(recs, r)
	}
	return dir, recs
}

func TestBaselineGate(t *testing.T) {
	named := allScorers(nil, &eval.MemoryCache{})
	base, _ := fakeLog(t, "offline", 12, func(i int) float64 { return 0.8 + 0.01*float64(i%3) })
	_, worse := fakeLog(t, "offline", 12, func(i int) float64 { return 0.3 + 0.01*float64(i%4) })
	sum := eval.Summary{Reducer: "mean", Variants: []eval.VariantSummary{{Name: "offline"}}}

	err := checkGates(sum, nil, base, worse, named)
	var gate errGate
	require.ErrorAs(t, err, &gate)
	assert.Contains(t, strings.Join(gate.reasons, "\n"), "offline fact_recall is significantly worse than the baseline")

	_, same := fakeLog(t, "offline", 12, func(i int) float64 { return 0.8 + 0.01*float64(i%3) })
	assert.NoError(t, checkGates(sum, nil, base, same, named))

	other := eval.Summary{Reducer: "mean", Variants: []eval.VariantSummary{{Name: "gpt"}}}
	err = checkGates(other, nil, base, same, named)
	require.ErrorAs(t, err, &gate)
	assert.Contains(t, gate.reasons[0], "has no such variant")
}
