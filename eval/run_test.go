package eval_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/eval"
	"github.com/deepctx/deepctx/eval/stats"
)

// testSuite has n samples and two variants.
func testSuite(n int) *eval.Suite {
	s := &eval.Suite{Name: "t", Corpus: eval.Paths{"/nowhere"}}
	for i := range n {
		split := "dev"
		if i%2 == 1 {
			split = "test"
		}
		s.Samples = append(s.Samples, eval.Sample{
			ID: fmt.Sprintf("s%02d", i), Question: fmt.Sprintf("Question %d?", i), Split: split,
			KeyFacts: []eval.Fact{{Any: []string{fmt.Sprintf("fact %d", i)}}},
		})
	}
	s.Variants = []eval.Variant{{Name: "a"}, {Name: "b"}}
	return s
}

// echoSystem writes a report stating the sample's fact for variant "a"
// and every other sample's for "b", and records what it ran.
type echoSystem struct {
	mu   sync.Mutex
	ran  []string
	fail map[string]int // failures left per task key
}

func (e *echoSystem) Research(ctx context.Context, t eval.Task) (eval.Output, error) {
	key := fmt.Sprintf("%s/%s/e%d", t.Variant.Name, t.Sample.ID, t.Epoch)
	e.mu.Lock()
	e.ran = append(e.ran, key)
	if e.fail[key] > 0 {
		e.fail[key]--
		e.mu.Unlock()
		return eval.Output{}, errors.New("provider fault")
	}
	e.mu.Unlock()
	report := "Nothing found."
	if t.Variant.Name == "a" || strings.HasSuffix(t.Sample.ID, "0") {
		report = "The answer is " + t.Sample.KeyFacts[0].Any[0] + "."
	}
	if err := os.WriteFile(filepath.Join(t.Dir, "report.md"), []byte(report), 0o644); err != nil {
		return eval.Output{}, err
	}
	return eval.Output{Report: report, Usage: llm.Usage{Input: 100, Output: 10}}, nil
}

func (e *echoSystem) ranKeys() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := append([]string(nil), e.ran...)
	sort.Strings(out)
	return out
}

// found scores 1 when the sample's first fact is in the report.
var found = eval.Named{Name: "found", Higher: true, Scorer: eval.ScorerFunc(func(ctx context.Context, s eval.Sample, r eval.Result) (eval.Score, error) {
	if s.KeyFacts[0].Found(r.Output.Report) {
		return eval.Score{Value: 1}, nil
	}
	return eval.Score{Value: 0}, nil
})}

func TestRunScoresEveryCellAndSummarizes(t *testing.T) {
	sys := &echoSystem{}
	skipped := eval.Named{Name: "judge", Scorer: eval.ScorerFunc(func(context.Context, eval.Sample, eval.Result) (eval.Score, error) {
		return eval.Score{}, eval.Skip("no judge model configured")
	})}
	broken := eval.Named{Name: "broken", Scorer: eval.ScorerFunc(func(context.Context, eval.Sample, eval.Result) (eval.Score, error) {
		panic("boom")
	})}
	var last eval.Progress
	out, err := eval.Run(context.Background(), testSuite(6), eval.Options{
		System: sys, Dir: filepath.Join(t.TempDir(), "log"), Scorers: []eval.Named{found, skipped, broken},
		Epochs: 2, MaxParallel: 3, Progress: func(p eval.Progress) { last = p },
	})
	require.NoError(t, err)
	assert.Equal(t, 24, out.Ran)
	require.Len(t, out.Records, 24)
	assert.Equal(t, 24, last.Done)
	assert.Equal(t, 24, last.Total)
	assert.Equal(t, 24*110, last.Tokens)
	for _, r := range out.Records {
		assert.Equal(t, eval.RecordOK, r.Status)
		assert.True(t, r.Scores["judge"].Skipped, "a skipped judge is not a zero")
		assert.Contains(t, r.Scores["broken"].Error, "panicked")
		assert.FileExists(t, filepath.Join(out.Log.RunDir(r.Key()), "report.md"), "the run folder is kept")
	}
	h, err := out.Log.Header()
	require.NoError(t, err)
	assert.Equal(t, eval.StatusFinished, h.Status)
	sum, err := eval.Summarize(h, out.Records, nil, statsOpts)
	require.NoError(t, err)
	require.Len(t, sum.Variants, 2)
	a, b := sum.Variants[0], sum.Variants[1]
	assert.Equal(t, 1.0, a.Scores["found"].Mean)
	assert.Equal(t, 6, a.Scores["found"].N, "epochs are reduced within a sample")
	assert.InDelta(t, 1.0/6, b.Scores["found"].Mean, 1e-9)
	assert.Equal(t, 0, a.Scores["judge"].N)
	assert.Equal(t, 12, a.Skipped["judge"])
	assert.Equal(t, 12, a.Failed["broken"])
	assert.Equal(t, 3, a.Splits["test"]["found"].N)

	cmp := eval.Compare(out.Records, "a", out.Records, "b", []string{"found"}, eval.CompareOptions{Higher: map[string]bool{"found": true}, Bootstrap: statsOpts})
	require.Len(t, cmp, 1)
	assert.InDelta(t, -5.0/6, cmp[0].Paired.MeanDiff, 1e-9)
	// Five of six samples differ, all the same way: the exact permutation
	// test gives p = 2/32 = 0.0625, so the difference is not called
	// significant although the bootstrap interval excludes 0.
	assert.InDelta(t, 0.0625, cmp[0].Paired.P, 1e-9)
	assert.Equal(t, "no significant difference", cmp[0].Verdict)
}

func TestRunRetriesFailedAttemptsAndRecordsPersistentFailures(t *testing.T) {
	sys := &echoSystem{fail: map[string]int{"a/s00/e1": 1, "a/s01/e1": 5}}
	out, err := eval.Run(context.Background(), testSuite(2), eval.Options{
		System: sys, Dir: filepath.Join(t.TempDir(), "log"), Scorers: []eval.Named{found},
		Variants: []string{"a"}, Retries: 2, RetryBackoff: time.Millisecond,
	})
	require.NoError(t, err)
	byKey := map[string]eval.Record{}
	for _, r := range out.Records {
		byKey[r.Key().String()] = r
	}
	assert.Equal(t, eval.RecordOK, byKey["a/s00/e1"].Status)
	assert.Equal(t, 2, byKey["a/s00/e1"].Attempts)
	assert.Equal(t, eval.RecordError, byKey["a/s01/e1"].Status)
	assert.Equal(t, 3, byKey["a/s01/e1"].Attempts)
	assert.Contains(t, byKey["a/s01/e1"].Error, "provider fault")
	assert.Empty(t, byKey["a/s01/e1"].Scores, "a failed attempt is not scored")
	assert.Equal(t, 1, out.Failed)

	// Resume runs only the failed attempt.
	sys2 := &echoSystem{}
	out2, err := eval.Run(context.Background(), testSuite(2), eval.Options{
		System: sys2, Dir: out.Log.Dir, Resume: true, Scorers: []eval.Named{found}, Variants: []string{"a"},
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"a/s01/e1"}, sys2.ranKeys())
	assert.Equal(t, 1, out2.Resumed)
	for _, r := range out2.Records {
		assert.Equal(t, eval.RecordOK, r.Status)
	}
}

func TestRunTimesOutAnAttempt(t *testing.T) {
	slow := eval.SystemFunc(func(ctx context.Context, t eval.Task) (eval.Output, error) {
		<-ctx.Done()
		return eval.Output{}, ctx.Err()
	})
	out, err := eval.Run(context.Background(), testSuite(1), eval.Options{
		System: slow, Dir: filepath.Join(t.TempDir(), "log"), Variants: []string{"a"},
		Timeout: 20 * time.Millisecond, Retries: -1,
	})
	require.NoError(t, err)
	require.Len(t, out.Records, 1)
	assert.Equal(t, eval.RecordError, out.Records[0].Status)
	assert.Contains(t, out.Records[0].Error, "timed out")
}

func TestRunStopsCleanlyAtTheTokenBudget(t *testing.T) {
	sys := &echoSystem{}
	out, err := eval.Run(context.Background(), testSuite(6), eval.Options{
		System: sys, Dir: filepath.Join(t.TempDir(), "log"), Variants: []string{"a"}, MaxParallel: 1, MaxTokens: 250,
	})
	require.ErrorIs(t, err, eval.ErrBudget)
	assert.Equal(t, 3, out.Ran, "110 tokens each: the third attempt crosses 250, the fourth never starts")
	assert.Contains(t, out.Stopped, "token budget")
	h, herr := out.Log.Header()
	require.NoError(t, herr)
	assert.Equal(t, eval.StatusStopped, h.Status)
}

func TestRunCancelledLeavesAResumableLog(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	sys := eval.SystemFunc(func(c context.Context, t eval.Task) (eval.Output, error) {
		if t.Sample.ID == "s02" {
			once.Do(cancel)
			<-c.Done()
			return eval.Output{}, c.Err()
		}
		return eval.Output{Report: "ok"}, nil
	})
	out, err := eval.Run(ctx, testSuite(4), eval.Options{System: sys, Dir: filepath.Join(t.TempDir(), "log"), Variants: []string{"a"}, MaxParallel: 1})
	require.ErrorIs(t, err, context.Canceled)
	assert.Len(t, out.Records, 2, "s00 and s01 finished; s02 was cancelled and is not recorded")
	h, herr := out.Log.Header()
	require.NoError(t, herr)
	assert.Equal(t, eval.StatusInterrupted, h.Status)
}

func TestCreateLogRefusesAnExistingLog(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "log")
	_, err := eval.Run(context.Background(), testSuite(1), eval.Options{System: &echoSystem{}, Dir: dir, Variants: []string{"a"}})
	require.NoError(t, err)
	_, err = eval.Run(context.Background(), testSuite(1), eval.Options{System: &echoSystem{}, Dir: dir, Variants: []string{"a"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--resume")
}

// The kill -9 test: a child process runs an eval whose system blocks
// forever on one sample; the parent kills it with SIGKILL once some
// records are written, then resumes in-process and checks that every
// finished attempt is kept and none is run again.
const killEnv = "DEEPCTX_EVAL_KILL_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(killEnv); dir != "" {
		runKillChild(dir)
		return
	}
	os.Exit(m.Run())
}

func runKillChild(dir string) {
	sys := eval.SystemFunc(func(ctx context.Context, t eval.Task) (eval.Output, error) {
		n, _ := strconv.Atoi(strings.TrimPrefix(t.Sample.ID, "s"))
		if n >= 5 {
			select {} // hang until killed
		}
		return eval.Output{Report: "The answer is " + t.Sample.KeyFacts[0].Any[0] + "."}, nil
	})
	_, err := eval.Run(context.Background(), testSuite(8), eval.Options{System: sys, Dir: dir, Scorers: []eval.Named{found}, Variants: []string{"a"}, MaxParallel: 2})
	fmt.Fprintln(os.Stderr, "child finished unexpectedly:", err)
	os.Exit(3)
}

func TestKill9ThenResumeKeepsEveryFinishedAttempt(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "log")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), killEnv+"="+dir)
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// Wait until the five quick attempts are recorded: the child then
	// hangs on s05 and s06.
	deadline := time.Now().Add(60 * time.Second)
	for {
		l, err := eval.OpenLog(dir)
		if err == nil {
			if recs, err := l.Records(); err == nil && len(recs) == 5 {
				break
			}
		}
		select {
		case err := <-done:
			t.Fatalf("the child exited early: %v", err)
		default:
		}
		require.True(t, time.Now().Before(deadline), "the child wrote no records in time")
		runtimeGosched()
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	<-done

	l, err := eval.OpenLog(dir)
	require.NoError(t, err)
	before, err := l.Records()
	require.NoError(t, err)
	require.Len(t, before, 5)
	h, err := l.Header()
	require.NoError(t, err)
	assert.Equal(t, eval.StatusRunning, h.Status, "a killed run never wrote its end")

	sys := &echoSystem{}
	out, err := eval.Run(context.Background(), testSuite(8), eval.Options{System: sys, Dir: dir, Resume: true, Scorers: []eval.Named{found}, Variants: []string{"a"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"a/s05/e1", "a/s06/e1", "a/s07/e1"}, sys.ranKeys(), "no finished attempt runs again")
	assert.Equal(t, 5, out.Resumed)
	require.Len(t, out.Records, 8)
	for i, r := range before {
		assert.Equal(t, r.Finished, out.Records[i].Finished, "finished records are kept as they were")
	}
}

func runtimeGosched() { time.Sleep(10 * time.Millisecond) } //nolint: polling a child process's files has no event to wait on

var statsOpts = stats.BootstrapOptions{Resamples: 500}

func TestResumeRefusesAChangedSuite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "log")
	_, err := eval.Run(context.Background(), testSuite(2), eval.Options{System: &echoSystem{}, Dir: dir, Variants: []string{"a"}})
	require.NoError(t, err)
	changed := testSuite(2)
	changed.Samples[0].Question = "Another question?"
	_, err = eval.Run(context.Background(), changed, eval.Options{System: &echoSystem{}, Dir: dir, Resume: true, Variants: []string{"a"}})
	require.ErrorIs(t, err, eval.ErrSelection)
	assert.Contains(t, err.Error(), "the suite changed")
}

func TestResumeTakesEpochsAndSelectionFromTheLog(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "log")
	sys := &echoSystem{fail: map[string]int{"a/s01/e3": 9}}
	out, err := eval.Run(context.Background(), testSuite(3), eval.Options{
		System: sys, Dir: dir, Variants: []string{"a"}, Samples: []string{"s00", "s01"}, Epochs: 3, Retries: -1,
	})
	require.NoError(t, err)
	assert.Equal(t, 1, out.Failed)

	again := &echoSystem{}
	out, err = eval.Run(context.Background(), testSuite(3), eval.Options{System: again, Dir: dir, Resume: true})
	require.NoError(t, err)
	assert.Equal(t, []string{"a/s01/e3"}, again.ranKeys(), "the log's variants, samples and 3 epochs; only the failed one runs")
	assert.Len(t, out.Records, 6)

	_, err = eval.Run(context.Background(), testSuite(3), eval.Options{System: again, Dir: dir, Resume: true, Epochs: 2})
	require.ErrorIs(t, err, eval.ErrSelection, "fewer epochs than the log ran")
}

func TestBudgetCountsFailedAttemptsAndRetries(t *testing.T) {
	// Every attempt spends 110 tokens; s00 fails twice before it succeeds.
	sys := &echoSystem{fail: map[string]int{"a/s00/e1": 2}}
	spendOnFailure := eval.SystemFunc(func(ctx context.Context, tk eval.Task) (eval.Output, error) {
		out, err := sys.Research(ctx, tk)
		out.Usage = llm.Usage{Input: 100, Output: 10}
		return out, err
	})
	out, err := eval.Run(context.Background(), testSuite(4), eval.Options{
		System: spendOnFailure, Dir: filepath.Join(t.TempDir(), "log"), Variants: []string{"a"}, MaxParallel: 1,
		Retries: 2, RetryBackoff: time.Millisecond, MaxTokens: 400,
	})
	require.ErrorIs(t, err, eval.ErrBudget)
	// s00 cost 3 attempts (330 tokens, not 110): under 400, so s01 runs
	// (440) and s02 never starts.
	require.Len(t, out.Records, 2)
	assert.Equal(t, 330, out.Records[0].Spent.Input+out.Records[0].Spent.Output)
	assert.Equal(t, 3, out.Records[0].Attempts)
	assert.Contains(t, out.Stopped, "440")
}

func TestMaxCostStopsTheEval(t *testing.T) {
	cost := func(out eval.Output, spent llm.Usage) (float64, bool) { return float64(spent.Input) / 100, true } // $1 per attempt
	out, err := eval.Run(context.Background(), testSuite(5), eval.Options{
		System: &echoSystem{}, Dir: filepath.Join(t.TempDir(), "log"), Variants: []string{"a"}, MaxParallel: 1,
		MaxCostUSD: 2, Cost: cost,
	})
	require.ErrorIs(t, err, eval.ErrBudget)
	assert.Equal(t, 2, out.Ran)
	assert.Contains(t, out.Stopped, "cost budget")
	require.NotNil(t, out.Records[0].CostUSD)
	assert.Equal(t, 1.0, *out.Records[0].CostUSD)

	_, err = eval.Run(context.Background(), testSuite(1), eval.Options{System: &echoSystem{}, Dir: filepath.Join(t.TempDir(), "l2"), MaxCostUSD: 1})
	require.ErrorIs(t, err, eval.ErrSelection, "a cost budget needs a price")
}

func TestResumeScoresARecordACrashLeftUnscored(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "log")
	out, err := eval.Run(context.Background(), testSuite(1), eval.Options{System: &echoSystem{}, Dir: dir, Variants: []string{"a"}, Scorers: []eval.Named{found}})
	require.NoError(t, err)
	// What a kill between the run and its scores leaves: the record, no scores.
	rec := out.Records[0]
	rec.Scores, rec.Scored = nil, false
	data, err := json.Marshal(rec)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(out.Log.TaskDir(rec.Key()), "record.json"), data, 0o644))

	sys := &echoSystem{}
	out, err = eval.Run(context.Background(), testSuite(1), eval.Options{System: sys, Dir: dir, Resume: true, Scorers: []eval.Named{found}})
	require.NoError(t, err)
	assert.Empty(t, sys.ranKeys(), "the system does not run again")
	require.Len(t, out.Records, 1)
	assert.True(t, out.Records[0].Scored)
	assert.Equal(t, 1.0, out.Records[0].Scores["found"].Value)
}

func TestRegexFactsAreSafeAcrossParallelAttempts(t *testing.T) {
	s := testSuite(4)
	for i := range s.Samples {
		s.Samples[i].KeyFacts = []eval.Fact{{Regex: `answer is fact \d`}}
	}
	answer := eval.SystemFunc(func(ctx context.Context, tk eval.Task) (eval.Output, error) {
		return eval.Output{Report: "The ANSWER is fact " + strings.TrimPrefix(tk.Sample.ID, "s0") + "."}, nil
	})
	out, err := eval.Run(context.Background(), s, eval.Options{
		System: answer, Dir: filepath.Join(t.TempDir(), "log"), Variants: []string{"a"}, Epochs: 3, MaxParallel: 4,
		Scorers: []eval.Named{found},
	})
	require.NoError(t, err)
	for _, r := range out.Records {
		assert.Equal(t, 1.0, r.Scores["found"].Value)
	}
}

func TestRunValidatesASuiteBuiltInCode(t *testing.T) {
	s := testSuite(2)
	s.Samples[1].ID = "../escape"
	_, err := eval.Run(context.Background(), s, eval.Options{System: &echoSystem{}, Dir: filepath.Join(t.TempDir(), "log")})
	require.ErrorIs(t, err, eval.ErrSuite)
	s = testSuite(2)
	s.Variants[1].Name = ".."
	_, err = eval.Run(context.Background(), s, eval.Options{System: &echoSystem{}, Dir: filepath.Join(t.TempDir(), "log")})
	require.ErrorIs(t, err, eval.ErrSuite)
}
