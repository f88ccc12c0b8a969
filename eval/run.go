package eval

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/research/verify"
	"github.com/deepctx/deepctx/eval/stats"
)

// Defaults of Options.
const (
	DefaultMaxParallel  = 2
	DefaultTimeout      = 15 * time.Minute
	DefaultRetries      = 2
	DefaultRetryBackoff = 2 * time.Second
)

// ErrBudget reports an eval that a budget (MaxCostUSD, MaxTokens)
// stopped before every sample ran. The log is resumable.
var ErrBudget = errors.New("eval: budget exhausted")

// ErrSelection reports options that select nothing, or something the
// suite lacks, or a log that is already there: a mistake in the request,
// not a failure while running.
var ErrSelection = errors.New("eval: invalid selection")

// Options configures Run.
type Options struct {
	// System is what is evaluated. Required.
	System System
	// Dir is the log folder: created, or reopened with Resume. Required.
	Dir string
	// Resume continues the log in Dir: finished attempts are kept (and
	// scored if a crash came between their run and their scores); failed
	// and unfinished ones run again. Variants, Samples, Split, Epochs and
	// Reducer left unset are taken from the log; the suite and corpus must
	// be the ones it was written from.
	Resume bool
	// Scorers score every finished attempt, in order. Optional; without
	// scorers the log holds outputs only (rescore later).
	Scorers []Named
	// PairScorers judge two variants' reports side by side, for the
	// suite's comparisons (Suite.Pairs), on the samples both finished.
	// Optional.
	PairScorers []NamedPair
	// Corpus resolves citations for scorers. Optional: scorers that need
	// it fail without it.
	Corpus verify.Resolver
	// Snapshots identify the corpus in the log header. Optional.
	Snapshots []Snapshot
	// Variants restricts the run to these variants of the suite.
	// Optional. Defaults to all.
	Variants []string
	// Samples restricts the run to these sample IDs, Split to one half
	// ("dev" or "test"). Optional.
	Samples []string
	Split   string
	// Epochs repeats each sample. Optional. Defaults to 1 (on resume, to
	// the log's).
	Epochs int
	// Reducer combines epochs of a sample: "mean", "median", "max",
	// "mode" or "pass@K" (e.g. "pass@3"). Optional. Defaults to "mean".
	Reducer string
	// MaxParallel caps attempts running at once. Optional. Defaults to
	// DefaultMaxParallel.
	MaxParallel int
	// Timeout caps one attempt of one sample. Optional. Defaults to
	// DefaultTimeout.
	Timeout time.Duration
	// Retries is how often an attempt that failed is run again, with
	// exponential backoff from RetryBackoff. Scores are never retried.
	// Optional. Defaults to DefaultRetries; negative means none.
	Retries      int
	RetryBackoff time.Duration
	// MaxCostUSD and MaxTokens stop the eval cleanly, before starting
	// another attempt, once the attempts so far (failed ones and their
	// retries included) have spent that much: input plus output tokens,
	// and dollars as Cost prices them. Optional. Zero means no limit.
	MaxCostUSD float64
	MaxTokens  int
	// Cost prices an attempt's usage in USD, reporting false when it
	// cannot (an unknown model). Optional: without it MaxCostUSD cannot
	// be enforced and Run refuses it.
	Cost func(out Output, spent llm.Usage) (usd float64, ok bool)
	// Version is the deepctx version recorded in the log. Optional.
	Version string
	// SystemName describes the system in the log, and Command the
	// command line that ran the eval, for reports. Optional.
	SystemName string
	Command    string
	// UserModel plays the simulated user of samples that give a persona.
	// Optional: without it, persona users answer with DefaultAnswer.
	UserModel llm.Model
	// Progress, if not nil, is called after each attempt, from one
	// goroutine at a time.
	Progress func(Progress)
}

// NamedPair is a PairScorer with the name its verdicts are recorded under.
type NamedPair struct {
	Name   string
	Scorer PairScorer
}

// Progress is where an eval stands.
type Progress struct {
	Done, Total, Failed, Resumed int
	Running                      int
	Last                         TaskKey
	LastStatus                   string
	Tokens                       int
	CostUSD                      float64
	Elapsed                      time.Duration
	// ETA estimates the time left from the average attempt so far.
	ETA time.Duration
}

// Outcome is what Run did.
type Outcome struct {
	Log     *Log
	Records []Record
	// Ran, Resumed and Failed count attempts run now, kept from an
	// earlier run, and failed after their retries.
	Ran, Resumed, Failed int
	// Stopped says why the run stopped before the end (a budget), if it did.
	Stopped string
}

// Run evaluates suite: every sample × variant × epoch runs through
// opts.System with at most MaxParallel at once, is scored, and is written
// to the log as soon as it finishes, so a crash loses no finished attempt.
// It returns ErrBudget (with the outcome) when a budget stopped it, and
// the context's error when cancelled; either way the log is resumable.
func Run(ctx context.Context, suite *Suite, opts Options) (Outcome, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return Outcome{}, err
	}
	if err := suite.Validate(); err != nil {
		return Outcome{}, err
	}
	var prev *Header
	if o.Resume {
		if prev, err = o.previous(suite); err != nil {
			return Outcome{}, err
		}
		o = o.resumedFrom(*prev)
	}
	if o.Epochs <= 0 {
		o.Epochs = 1
	}
	if o.Reducer == "" {
		o.Reducer = "mean"
	}
	tasks, err := o.matrix(suite)
	if err != nil {
		return Outcome{}, err
	}
	l, kept, err := o.openLog(suite)
	if err != nil {
		return Outcome{}, err
	}
	r := &runner{opts: o, suite: suite, log: l, start: time.Now()}
	out := Outcome{Log: l}
	var todo []task
	for _, t := range tasks {
		rec, ok := kept[t.key]
		if ok {
			r.addSpent(rec) // failed attempts spent too
		}
		if ok && rec.Status == RecordOK {
			out.Resumed++
			if !rec.Scored { // a crash came between its run and its scores
				if _, err := r.score(ctx, t.sample, rec); err != nil {
					return out, err
				}
			}
			continue
		}
		todo = append(todo, t)
	}
	r.progress.Total, r.progress.Resumed, r.progress.Done = len(tasks), out.Resumed, out.Resumed
	runErr := r.runAll(ctx, todo)
	out.Ran, out.Failed, out.Stopped = r.ran, r.failed, r.stopped
	if runErr == nil && out.Stopped == "" {
		runErr = r.runPairs(ctx, suite)
	}
	status, note := StatusFinished, ""
	switch {
	case ctx.Err() != nil:
		status, note = StatusInterrupted, "cancelled: "+ctx.Err().Error()
	case out.Stopped != "":
		status, note = StatusStopped, out.Stopped
	case runErr != nil:
		status, note = StatusInterrupted, runErr.Error()
	}
	if err := l.UpdateHeader(func(h *Header) { h.Status, h.Note = status, note }); err != nil && runErr == nil {
		runErr = err
	}
	out.Records, err = l.Records()
	if err != nil && runErr == nil {
		runErr = err
	}
	if ctx.Err() != nil {
		return out, ctx.Err()
	}
	if runErr == nil && out.Stopped != "" {
		return out, fmt.Errorf("%w: %s", ErrBudget, out.Stopped)
	}
	return out, runErr
}

func (o Options) withDefaults() (Options, error) {
	if o.System == nil {
		return o, errors.New("eval: Options.System is required")
	}
	if o.Dir == "" {
		return o, errors.New("eval: Options.Dir is required")
	}
	if o.Epochs < 0 {
		return o, fmt.Errorf("%w: epochs %d is negative", ErrSelection, o.Epochs)
	}
	if o.MaxParallel <= 0 {
		o.MaxParallel = DefaultMaxParallel
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxCostUSD > 0 && o.Cost == nil {
		return o, fmt.Errorf("%w: MaxCostUSD needs Options.Cost to price usage", ErrSelection)
	}
	if o.Retries == 0 {
		o.Retries = DefaultRetries
	}
	if o.Retries < 0 {
		o.Retries = 0
	}
	if o.RetryBackoff <= 0 {
		o.RetryBackoff = DefaultRetryBackoff
	}
	if o.Reducer != "" {
		if _, err := stats.ReducerByName(o.Reducer); err != nil {
			return o, fmt.Errorf("%w: %v", ErrSelection, err)
		}
	}
	if o.Split != "" && o.Split != "dev" && o.Split != "test" {
		return o, fmt.Errorf("%w: split %q is neither dev nor test", ErrSelection, o.Split)
	}
	seen := map[string]bool{}
	for _, n := range o.Scorers {
		if n.Name == "" || n.Scorer == nil {
			return o, errors.New("eval: a scorer has no name or is nil")
		}
		if seen[n.Name] {
			return o, fmt.Errorf("eval: scorer %q is given twice", n.Name)
		}
		seen[n.Name] = true
	}
	return o, nil
}

// task is one cell of the matrix.
type task struct {
	key     TaskKey
	sample  Sample
	variant Variant
}

// matrix lists the attempts: variants in suite order, then samples, then
// epochs, restricted by the options.
func (o Options) matrix(s *Suite) ([]task, error) {
	for _, v := range o.Variants {
		if _, ok := s.Variant(v); !ok {
			return nil, fmt.Errorf("%w: the suite has no variant %q", ErrSelection, v)
		}
	}
	for _, id := range o.Samples {
		if _, ok := s.Sample(id); !ok {
			return nil, fmt.Errorf("%w: the suite has no sample %q", ErrSelection, id)
		}
	}
	var out []task
	for _, v := range s.Variants {
		if len(o.Variants) > 0 && !slices.Contains(o.Variants, v.Name) {
			continue
		}
		for _, smp := range s.Samples {
			if len(o.Samples) > 0 && !slices.Contains(o.Samples, smp.ID) || o.Split != "" && smp.Split != o.Split {
				continue
			}
			for e := 1; e <= o.Epochs; e++ {
				out = append(out, task{key: TaskKey{v.Name, smp.ID, e}, sample: smp, variant: v})
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: nothing to run: no sample matches the selection", ErrSelection)
	}
	return out, nil
}

// openLog creates the log, or reopens it to resume and returns its records.
func (o Options) openLog(s *Suite) (*Log, map[TaskKey]Record, error) {
	names := make([]string, len(o.Scorers))
	for i, n := range o.Scorers {
		names[i] = n.Name
	}
	variants := []string{}
	for _, v := range s.Variants {
		if len(o.Variants) == 0 || slices.Contains(o.Variants, v.Name) {
			variants = append(variants, v.Name)
		}
	}
	if !o.Resume {
		l, err := CreateLog(o.Dir, Header{
			Suite: s, SuiteHash: s.Hash(), Corpus: o.Snapshots, Variants: variants, Samples: o.Samples, Split: o.Split,
			Epochs: o.Epochs, Reducer: o.Reducer, Scorers: names, Judges: s.Judges, Version: o.Version, System: o.SystemName,
			Command: o.Command, Created: time.Now().UTC(), Status: StatusRunning,
		})
		return l, nil, err
	}
	l, err := OpenLog(o.Dir)
	if err != nil {
		return nil, nil, err
	}
	records, err := l.Records()
	if err != nil {
		return nil, nil, err
	}
	kept := map[TaskKey]Record{}
	for _, r := range records {
		kept[r.Key()] = r
	}
	err = l.UpdateHeader(func(h *Header) {
		h.Status, h.Note = StatusRunning, ""
		h.Epochs = max(h.Epochs, o.Epochs)
		h.Reducer = o.Reducer // the resume's, when it names one; the log's otherwise
		for _, v := range variants {
			if !slices.Contains(h.Variants, v) {
				h.Variants = append(h.Variants, v)
			}
		}
		for _, n := range names {
			if !slices.Contains(h.Scorers, n) {
				h.Scorers = append(h.Scorers, n)
			}
		}
		if len(o.Snapshots) > 0 {
			h.Corpus = o.Snapshots
		}
		if o.Version != "" {
			h.Version = o.Version
		}
		h.GoVersion = runtime.Version()
	})
	return l, kept, err
}

// previous reads the header of the log to resume and checks that it was
// written from the same suite over the same corpus.
func (o Options) previous(s *Suite) (*Header, error) {
	l, err := OpenLog(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("%w: resume: %w", ErrSelection, err)
	}
	h, err := l.Header()
	if err != nil {
		return nil, err
	}
	if h.SuiteHash != "" && h.SuiteHash != s.Hash() {
		return nil, fmt.Errorf("%w: the suite changed since %s was written (its samples or variants differ), so its finished attempts would mix with new ones; start a new log", ErrSelection, o.Dir)
	}
	for _, now := range o.Snapshots {
		for _, then := range h.Corpus {
			if now.Path == then.Path && now.SHA256 != then.SHA256 {
				return nil, fmt.Errorf("%w: the corpus %s changed since %s was written (%d documents then, %d now); its scores would mix two corpora; start a new log", ErrSelection, now.Path, o.Dir, then.Documents, now.Documents)
			}
		}
	}
	if o.Epochs > 0 && o.Epochs < h.Epochs {
		return nil, fmt.Errorf("%w: %s ran %d epochs; resume with at least as many (or none given)", ErrSelection, o.Dir, h.Epochs)
	}
	return &h, nil
}

// resumedFrom fills the selection a resume does not name from the log:
// its variants, samples, split, epochs and reducer.
func (o Options) resumedFrom(h Header) Options {
	if len(o.Variants) == 0 {
		o.Variants = h.Variants
	}
	if len(o.Samples) == 0 && o.Split == "" {
		o.Samples, o.Split = h.Samples, h.Split
	}
	if o.Epochs == 0 {
		o.Epochs = h.Epochs
	}
	if o.Reducer == "" {
		o.Reducer = h.Reducer
	}
	return o
}

// runner runs the attempts of one Run.
type runner struct {
	opts  Options
	suite *Suite
	log   *Log
	start time.Time

	mu       sync.Mutex
	progress Progress
	ran      int
	failed   int
	stopped  string
	spentUSD float64
	spentTok int
}

func (r *runner) addSpent(rec Record) {
	spent := rec.Spent
	if spent == (llm.Usage{}) {
		spent = rec.Output.Usage
	}
	r.spentTok += spent.Input + spent.Output
	if rec.CostUSD != nil {
		r.spentUSD += *rec.CostUSD
	}
}

// overBudget reports, under r.mu, why no further attempt may start.
func (r *runner) overBudget() string {
	o := r.opts
	switch {
	case o.MaxCostUSD > 0 && r.spentUSD >= o.MaxCostUSD:
		return fmt.Sprintf("the cost budget of $%.4f is spent ($%.4f); resume with a higher --max-cost", o.MaxCostUSD, r.spentUSD)
	case o.MaxTokens > 0 && r.spentTok >= o.MaxTokens:
		return fmt.Sprintf("the token budget of %d is spent (%d); resume with a higher --max-tokens", o.MaxTokens, r.spentTok)
	}
	return ""
}

// runAll runs todo with at most MaxParallel attempts at once. A slot is
// taken before the budget is checked, so an attempt starts only once
// every earlier one that could have spent the budget has finished or is
// running in another slot.
func (r *runner) runAll(ctx context.Context, todo []task) error {
	slots := make(chan struct{}, r.opts.MaxParallel)
	var wg sync.WaitGroup
	var fatalMu sync.Mutex
	var fatal error
	failed := func() bool {
		fatalMu.Lock()
		defer fatalMu.Unlock()
		return fatal != nil
	}
	for _, t := range todo {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil || failed() {
			break
		}
		r.mu.Lock()
		if reason := r.overBudget(); reason != "" {
			r.stopped = reason
			r.mu.Unlock()
			<-slots
			break
		}
		r.progress.Running++
		r.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			if err := r.runTask(ctx, t); err != nil {
				fatalMu.Lock()
				if fatal == nil {
					fatal = err
				}
				fatalMu.Unlock()
			}
		}()
	}
	wg.Wait()
	return fatal
}

// runTask runs one attempt with retries, writes its record, scores it
// and writes it again. It returns an error only when the log cannot be
// written.
func (r *runner) runTask(ctx context.Context, t task) error {
	rec := Record{Variant: t.key.Variant, Sample: t.key.Sample, Epoch: t.key.Epoch, Split: t.sample.Split,
		Tags: t.sample.Tags, Started: time.Now().UTC()}
	var out Output
	var err error
	var wall time.Duration
	for attempt := 0; attempt <= r.opts.Retries; attempt++ {
		if attempt > 0 {
			if werr := sleepCtx(ctx, r.opts.RetryBackoff<<(attempt-1)); werr != nil {
				break
			}
		}
		rec.Attempts = attempt + 1
		out, wall, err = r.attempt(ctx, t)
		rec.Spent = rec.Spent.Add(out.Usage)
		if err == nil || ctx.Err() != nil {
			break
		}
	}
	if ctx.Err() != nil {
		r.finish(rec, false)
		return nil // unfinished: resume runs it again
	}
	rec.WallNS, rec.Output = wall, out
	if r.opts.Cost != nil {
		if usd, ok := r.opts.Cost(out, rec.Spent); ok {
			rec.CostUSD = &usd
		}
	}
	rec.Finished = time.Now().UTC()
	if err != nil {
		rec.Status, rec.Error, rec.Scored = RecordError, err.Error(), true
		werr := r.log.WriteRecord(rec)
		r.finish(rec, werr == nil)
		return werr
	}
	// Written before scoring, so a crash while scoring loses no agent run:
	// resume scores the record.
	rec.Status = RecordOK
	if err := r.log.WriteRecord(rec); err != nil {
		r.finish(rec, false)
		return err
	}
	rec, err = r.score(ctx, t.sample, rec)
	r.finish(rec, err == nil)
	return err
}

// score runs the scorers on a finished record, within the attempt
// timeout, and rewrites it. A cancelled scoring leaves the record
// unscored for resume.
func (r *runner) score(ctx context.Context, smp Sample, rec Record) (Record, error) {
	sctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	start := time.Now()
	res := Result{Variant: rec.Variant, Epoch: rec.Epoch, Output: rec.Output, Wall: rec.WallNS, Corpus: r.opts.Corpus, Dir: r.log.RunDir(rec.Key())}
	scores := ScoreAll(sctx, r.opts.Scorers, smp, res)
	if ctx.Err() != nil {
		return rec, nil
	}
	rec.Scores, rec.Scored = scores, true
	rec.ScoreNS = time.Since(start)
	return rec, r.log.rewriteRecord(rec)
}

// attempt runs the system once on a clean run folder.
func (r *runner) attempt(ctx context.Context, t task) (Output, time.Duration, error) {
	dir := r.log.RunDir(t.key)
	if err := os.RemoveAll(dir); err != nil {
		return Output{}, 0, fmt.Errorf("eval: clean %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Output{}, 0, fmt.Errorf("eval: %w", err)
	}
	tctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	start := time.Now()
	user := NewUser(t.sample.User, r.opts.UserModel)
	out, err := safeResearch(tctx, r.opts.System, Task{Sample: t.sample, Variant: t.variant, Epoch: t.key.Epoch, Dir: dir, User: user})
	wall := time.Since(start)
	if len(out.Dialogue) == 0 {
		out.Dialogue = user.Dialogue() // a system that asked through Task.User need not copy it
	}
	if err != nil && errors.Is(tctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
		err = fmt.Errorf("timed out after %s: %w", r.opts.Timeout, err)
	}
	return out, wall, err
}

func safeResearch(ctx context.Context, s System, t Task) (out Output, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("eval: the system panicked: %v", p)
		}
	}()
	return s.Research(ctx, t)
}

// finish updates progress after an attempt (written: its record is in the log).
func (r *runner) finish(rec Record, written bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.progress.Running--
	if !written {
		if r.opts.Progress != nil {
			r.opts.Progress(r.progress)
		}
		return
	}
	r.ran++
	r.progress.Done++
	if rec.Status != RecordOK {
		r.failed++
		r.progress.Failed++
	}
	r.addSpent(rec)
	p := &r.progress
	p.Last, p.LastStatus, p.Tokens, p.CostUSD = rec.Key(), rec.Status, r.spentTok, r.spentUSD
	p.Elapsed = time.Since(r.start)
	if r.ran > 0 {
		left := p.Total - p.Done
		perTask := p.Elapsed / time.Duration(r.ran)
		p.ETA = perTask * time.Duration(left)
	}
	if r.opts.Progress != nil {
		r.opts.Progress(*p)
	}
}

// ScoreAll runs every scorer on one result. A scorer that fails is
// recorded as failed, one that does not apply as skipped; neither is 0.
func ScoreAll(ctx context.Context, scorers []Named, s Sample, res Result) map[string]Score {
	out := make(map[string]Score, len(scorers))
	for _, n := range scorers {
		out[n.Name] = scoreOf(ctx, n.Scorer, s, res)
	}
	return out
}

// runPairs runs the pair scorers on the suite's comparisons.
func (r *runner) runPairs(ctx context.Context, s *Suite) error {
	if len(r.opts.PairScorers) == 0 {
		return nil
	}
	records, err := r.log.Records()
	if err != nil {
		return err
	}
	return RunPairs(ctx, r.log, s, records, r.opts.PairScorers, r.opts.Corpus, false)
}

// RunPairs judges the suite's comparisons (Suite.Pairs: B against A) on
// the samples and epochs both variants finished, and writes the verdicts
// to l. A pair already judged in the log is skipped unless again is set
// (rescoring), so resuming repeats no judge call.
func RunPairs(ctx context.Context, l *Log, s *Suite, records []Record, scorers []NamedPair, corpus verify.Resolver, again bool) error {
	if len(scorers) == 0 {
		return nil
	}
	byKey := map[TaskKey]Record{}
	for _, rec := range records {
		byKey[rec.Key()] = rec
	}
	done := map[string]bool{}
	if !again {
		pairs, err := l.Pairs()
		if err != nil {
			return err
		}
		for _, p := range pairs {
			done[fmt.Sprintf("%s~%s/%s/e%d", p.A, p.B, p.Sample, p.Epoch)] = true
		}
	}
	result := func(rec Record) Result {
		return Result{Variant: rec.Variant, Epoch: rec.Epoch, Output: rec.Output, Wall: rec.WallNS, Corpus: corpus, Dir: l.RunDir(rec.Key())}
	}
	for _, pair := range s.Pairs() {
		for _, rec := range records {
			if rec.Variant != pair.A || rec.Status != RecordOK || done[fmt.Sprintf("%s~%s/%s/e%d", pair.A, pair.B, rec.Sample, rec.Epoch)] {
				continue
			}
			other, ok := byKey[TaskKey{pair.B, rec.Sample, rec.Epoch}]
			if !ok || other.Status != RecordOK {
				continue
			}
			smp, ok := s.Sample(rec.Sample)
			if !ok {
				continue
			}
			p := PairRecord{A: pair.A, B: pair.B, Sample: rec.Sample, Epoch: rec.Epoch, Scores: map[string]PairScore{}}
			for _, ps := range scorers {
				p.Scores[ps.Name] = pairScoreOf(ctx, ps.Scorer, smp, result(rec), result(other))
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err := l.WritePair(p); err != nil {
				return err
			}
		}
	}
	return nil
}

func pairScoreOf(ctx context.Context, ps PairScorer, s Sample, a, b Result) (v PairScore) {
	defer func() {
		if p := recover(); p != nil {
			v = PairScore{Error: fmt.Sprintf("eval: pair scorer panicked: %v", p)}
		}
	}()
	v, err := ps.ScorePair(ctx, s, a, b)
	switch {
	case err == nil:
		return v
	case errors.Is(err, ErrSkip):
		return PairScore{Skipped: true, Explanation: err.Error()}
	default:
		return PairScore{Error: err.Error()}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
