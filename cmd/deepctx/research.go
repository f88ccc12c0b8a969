package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/deepctx/deepctx/agent/graph"
	"github.com/deepctx/deepctx/agent/graph/observe"
	"github.com/deepctx/deepctx/agent/graph/store"
	"github.com/deepctx/deepctx/agent/research"
	"github.com/deepctx/deepctx/context/offload"
)

// errPaused ends a command whose run paused for the user.
var errPaused = errors.New("paused")

// researchFlags are the flags research shares with the config file.
type researchFlags struct {
	config         string
	corpus         []string
	db             string
	model          string
	roles          []string
	baseURL        string
	out            string
	maxResearchers int
	maxToolCalls   int
	critiqueRounds int
	contextWindow  int
	noClarify      bool
	jsonOut        bool
}

func newResearchCmd() *cobra.Command {
	var f researchFlags
	cmd := &cobra.Command{
		Use:   "research [flags] \"question\"",
		Short: "Research a question over a local corpus and write a cited report",
		Long: `research runs the deep-research agent: it writes a brief, fans the question out
to parallel researchers that search the corpus, writes a report with numbered
citations, and revises it under a critic. Without a configured model it runs the
offline extractive engine (no LLM, no key).

The run folder (--out, default runs/<id>) receives report.md, sources.json,
events.jsonl, run.json, checkpoints/ and artifacts/. Ctrl-C leaves a resumable
run: 'deepctx resume DIR' finishes it without repeating finished work.

Settings come from deepctx.yaml in the working directory (or --config), with
the flags' names as keys; flags override the file.`,
		Example: `  deepctx research --corpus "$(go env GOROOT)/doc" "How does the Go memory model define happens-before?"
  deepctx research --model openai:gpt-4.1 --role summarizer=openai:gpt-4.1-mini --corpus docs/ "..."
  deepctx research --model ollama:qwen3:8b --corpus notes/ --no-clarify "..."`,
		Args: argsUsage(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := f.settings(cmd)
			if err != nil {
				return err
			}
			question := strings.TrimSpace(strings.Join(args, " "))
			if question == "" {
				return usagef("the question is empty")
			}
			return startResearch(cmd, s, question, f.jsonOut)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.config, "config", "", "config file (default: ./"+configFileName+" if present)")
	fl.StringArrayVar(&f.corpus, "corpus", nil, "folder or file to research (repeatable); indexed on the fly, cached in --db")
	fl.StringVar(&f.db, "db", "", "corpus index folder (default: the user cache dir, deepctx/index)")
	fl.StringVar(&f.model, "model", "", "model spec for every role, e.g. openai:gpt-4.1 or ollama:qwen3:8b (default: extractive, the offline engine)")
	fl.StringArrayVar(&f.roles, "role", nil, "model for one role, ROLE=SPEC (repeatable); roles: "+joinRoles())
	fl.StringVar(&f.baseURL, "base-url", "", "API base URL of the --model's provider (any OpenAI-compatible server)")
	fl.StringVar(&f.out, "out", "", "run folder (default: runs/<id>)")
	fl.IntVar(&f.maxResearchers, "max-researchers", 0, fmt.Sprintf("researchers running in parallel (default %d)", research.DefaultMaxConcurrentResearchers))
	fl.IntVar(&f.maxToolCalls, "max-tool-calls", 0, fmt.Sprintf("tool calls per researcher (default %d)", research.DefaultMaxToolCalls))
	fl.IntVar(&f.critiqueRounds, "critique-rounds", 0, fmt.Sprintf("report revisions under the critic; 0 turns the critic off (default %d)", research.DefaultMaxCritiqueRounds))
	fl.IntVar(&f.contextWindow, "context-window", 0, "token budget of every model call (default: the model's window)")
	fl.BoolVar(&f.noClarify, "no-clarify", false, "never stop to ask a clarifying question")
	fl.BoolVar(&f.jsonOut, "json", false, "print a machine-readable summary on stdout")
	return cmd
}

// settings merges the config file and the flags that were set.
func (f researchFlags) settings(cmd *cobra.Command) (settings, error) {
	s, _, err := loadSettings(f.config)
	if err != nil {
		return s, usageError{err}
	}
	set := cmd.Flags().Changed
	if set("corpus") {
		s.Corpus = f.corpus
	}
	if set("db") {
		s.DB = f.db
	}
	if set("model") {
		s.Model = f.model
	}
	if set("role") {
		roles, err := parseRoles(f.roles)
		if err != nil {
			return s, err
		}
		if s.Roles == nil {
			s.Roles = map[string]string{}
		}
		for k, v := range roles {
			s.Roles[k] = v
		}
	}
	if set("base-url") {
		s.BaseURL = f.baseURL
	}
	if set("out") {
		s.Out = f.out
	}
	if set("max-researchers") {
		s.MaxResearchers = f.maxResearchers
	}
	if set("max-tool-calls") {
		s.MaxToolCalls = f.maxToolCalls
	}
	if set("critique-rounds") {
		n := f.critiqueRounds
		s.CritiqueRounds = &n
	}
	if set("context-window") {
		s.ContextWindow = f.contextWindow
	}
	if set("no-clarify") {
		s.NoClarify = f.noClarify
	}
	// run.json keeps absolute paths, so resume works from any directory.
	for i, c := range s.Corpus {
		abs, err := filepath.Abs(c)
		if err != nil {
			return s, err
		}
		s.Corpus[i] = abs
	}
	if s.DB != "" {
		abs, err := filepath.Abs(s.DB)
		if err != nil {
			return s, err
		}
		s.DB = abs
	}
	return s, s.validate()
}

// startResearch creates the run folder and runs the agent on question.
func startResearch(cmd *cobra.Command, s settings, question string, jsonOut bool) error {
	out := s.Out
	if out == "" {
		out = filepath.Join("runs", newRunID(time.Now()))
	}
	if err := refuseExistingRun(out); err != nil {
		return err // before indexing, which can take a while
	}
	ctx, stop := interruptible(cmd.Context())
	defer stop()
	cmd.SetContext(ctx)
	e, err := openEnv(ctx, cmd, s)
	if err != nil {
		return err
	}
	defer e.Close()
	folder, err := createRunFolder(out)
	if err != nil {
		return err
	}
	meta := runMeta{ID: folder.ID(), Question: question, Status: statusRunning, Created: time.Now().UTC().Truncate(time.Second), Settings: s}
	return runAgent(cmd, e, folder, meta, jsonOut, func(ctx context.Context, a *research.Agent, opts []graph.RunOption) (research.Result, error) {
		return a.Run(ctx, question, opts...)
	})
}

// runFunc starts or resumes the agent's run.
type runFunc func(ctx context.Context, a *research.Agent, opts []graph.RunOption) (research.Result, error)

// runAgent sets up everything a run needs in its folder, runs it with
// progress output, and records the outcome: the report files on success,
// the status in run.json always. Ctrl-C and SIGTERM cancel the run; its
// checkpoints make it resumable.
func runAgent(cmd *cobra.Command, env *env, folder runFolder, meta runMeta, jsonOut bool, start runFunc) (err error) {
	stderr := cmd.ErrOrStderr()
	ctx := cmd.Context()
	if err := env.attach(folder); err != nil {
		return err
	}
	meta.Engine = env.engine
	if err := folder.writeMeta(meta); err != nil {
		return fmt.Errorf("run folder: %w", err)
	}

	prog := newProgress(stderr, isTerminal(stderr))
	prog.Notef("run %s: %s", folder.ID(), folder.Dir)
	events, err := observe.OpenJSONL(folder.path("events.jsonl"))
	if err != nil {
		prog.Close()
		return fmt.Errorf("run folder: %w", err)
	}
	opts := []graph.RunOption{graph.WithRunID(folder.ID()), graph.WithSinks(events, prog)}
	res, runErr := start(ctx, env.agent, opts)
	prog.Close()
	if cerr := events.Close(); cerr != nil {
		fmt.Fprintf(stderr, "deepctx: the event log may be incomplete: %v\n", cerr)
	}
	if runErr != nil && ctx.Err() != nil {
		runErr = errors.Join(ctx.Err(), runErr) // classified as interrupted, whatever wrapped it
	}
	return finishRun(cmd, folder, meta, res, runErr, jsonOut)
}

// interruptible returns a context cancelled by the first Ctrl-C or
// SIGTERM; after that the signals' default action is restored, so a second
// Ctrl-C ends a process that does not stop in time.
func interruptible(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	return ctx, stop
}

// finishRun records how the run ended and tells the user.
func finishRun(cmd *cobra.Command, folder runFolder, meta runMeta, res research.Result, runErr error, jsonOut bool) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	var ie *graph.InterruptError
	switch {
	case runErr == nil:
		if err := writeReport(folder, res); err != nil {
			meta.Status, meta.Error = statusFailed, err.Error()
			_ = folder.writeMeta(meta)
			return err
		}
		meta.Status, meta.Error, meta.Pending = statusDone, "", ""
	case errors.As(runErr, &ie):
		var q research.ClarifyingQuestion
		_ = json.Unmarshal(ie.Interrupt.Payload, &q)
		meta.Status, meta.Pending = statusPaused, q.Question
	case errors.Is(runErr, context.Canceled) || errors.Is(runErr, context.DeadlineExceeded):
		meta.Status, meta.Error = statusInterrupted, runErr.Error()
	default:
		meta.Status, meta.Error = statusFailed, runErr.Error()
	}
	if err := folder.writeMeta(meta); err != nil {
		fmt.Fprintf(stderr, "deepctx: run folder: %v\n", err)
	}
	if jsonOut {
		writeSummaryJSON(stdout, folder, meta, res)
	}
	rel := displayPath(folder.Dir)
	switch meta.Status {
	case statusDone:
		if !jsonOut {
			fmt.Fprintf(stdout, "Report: %s\n", filepath.Join(rel, "report.md"))
		}
		fmt.Fprintf(stderr, "%d sources cited, critic score %.2f, %d researchers, %s tokens in / %s out.\n",
			len(res.Sources), res.Score, len(res.State.Findings), compactTokens(res.State.Usage.Input), compactTokens(res.State.Usage.Output))
		return nil
	case statusPaused:
		fmt.Fprintf(stderr, "The agent asks: %s\nAnswer with: deepctx resume %s --answer \"...\"\n", meta.Pending, rel)
		return errPaused
	case statusInterrupted:
		fmt.Fprintf(stderr, "Interrupted. Finished work is checkpointed; continue with: deepctx resume %s\n", rel)
		return runErr
	default:
		fmt.Fprintf(stderr, "The run failed; after fixing the cause, continue with: deepctx resume %s\n", rel)
		return runErr
	}
}

// writeReport writes report.md and sources.json.
func writeReport(folder runFolder, res research.Result) error {
	if err := writeFileAtomic(folder.path("report.md"), []byte(res.Report)); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	srcs := res.Sources
	if srcs == nil {
		srcs = []research.Source{}
	}
	data, err := json.MarshalIndent(srcs, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(folder.path("sources.json"), append(data, '\n')); err != nil {
		return fmt.Errorf("write sources: %w", err)
	}
	return nil
}

// runSummary is the --json output.
type runSummary struct {
	RunID    string   `json:"run_id"`
	Status   string   `json:"status"`
	Dir      string   `json:"dir"`
	Report   string   `json:"report,omitempty"`
	Sources  string   `json:"sources,omitempty"`
	Question string   `json:"question"`
	Engine   string   `json:"engine"`
	Cited    int      `json:"sources_cited"`
	Score    float64  `json:"score"`
	Findings int      `json:"researchers"`
	Input    int      `json:"input_tokens"`
	Output   int      `json:"output_tokens"`
	Pending  string   `json:"pending_question,omitempty"`
	Error    string   `json:"error,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

func writeSummaryJSON(w io.Writer, folder runFolder, meta runMeta, res research.Result) {
	s := runSummary{
		RunID: meta.ID, Status: meta.Status, Dir: folder.Dir, Question: meta.Question, Engine: meta.Engine,
		Cited: len(res.Sources), Score: res.Score, Findings: len(res.State.Findings),
		Input: res.State.Usage.Input, Output: res.State.Usage.Output, Pending: meta.Pending, Error: meta.Error,
		Warnings: res.State.Warnings,
	}
	if meta.Status == statusDone {
		s.Report, s.Sources = folder.path("report.md"), folder.path("sources.json")
	}
	data, _ := json.MarshalIndent(s, "", "  ")
	fmt.Fprintln(w, string(data))
}

// displayPath shows p relative to the working directory when it is below it.
func displayPath(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if rel, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return p
}

// checkpointStore is the file store of a run folder's checkpoints.
func checkpointStore(folder runFolder) (graph.CheckpointStore, error) {
	return store.NewFS(folder.root(), store.FSSubdir("checkpoints"))
}

// artifactStore opens the run folder's artifact store.
func artifactStore(folder runFolder) (*offload.Store, error) {
	return offload.Open(folder.path("artifacts"))
}
