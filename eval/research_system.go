package eval

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/deepctx/deepctx/agent/graph"
	"github.com/deepctx/deepctx/agent/graph/observe"
	"github.com/deepctx/deepctx/agent/graph/store"
	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/provider"
	"github.com/deepctx/deepctx/agent/llm/replay"
	"github.com/deepctx/deepctx/agent/research"
	"github.com/deepctx/deepctx/agent/search"
	"github.com/deepctx/deepctx/context/offload"
	"github.com/deepctx/deepctx/context/tokens"
	"github.com/deepctx/deepctx/context/window"
)

// MaxClarifications caps the clarifying questions one run may ask the
// simulated user before the harness gives up on it.
const MaxClarifications = 3

// ResearchSystem is the System of deepctx's research agent over one
// corpus index, which every task shares (the index is built once per
// corpus snapshot, never per sample). Each task gets a fresh agent built
// from its variant, with its own artifact store, checkpoints and event
// log in the task's folder. Clarifying questions are on by default and
// answered by the sample's simulated user. Close it when done.
type ResearchSystem struct {
	// Index is the corpus. Required.
	Index *search.Index
	// Providers opens the variants' models. Optional. Defaults to the
	// environment (OPENAI_API_KEY, OPENAI_BASE_URL, …); a variant's
	// base_url overrides the address of its default model's provider.
	Providers provider.Options
	// CacheDir, when set, puts every model call through a replay cassette
	// per variant, model configuration and epoch
	// (CacheDir/<variant>-<hash of its models>-e<epoch>.jsonl): a call made before is answered from the cassette, a
	// new one recorded. Rate limits and transient faults are not recorded,
	// and cassettes hold no secrets. Optional.
	CacheDir string

	mu        sync.Mutex
	cassettes map[string]*replay.Cassette
}

// Research runs the research agent on t.
func (s *ResearchSystem) Research(ctx context.Context, t Task) (Output, error) {
	if s.Index == nil {
		return Output{}, errors.New("eval: ResearchSystem.Index is required")
	}
	model, engineName, budgetModel, err := s.model(t.Variant, t.Epoch)
	if err != nil {
		return Output{}, err
	}
	artifacts, err := offload.Open(filepath.Join(t.Dir, "artifacts"))
	if err != nil {
		return Output{}, fmt.Errorf("eval: %w", err)
	}
	defer artifacts.Close()
	checkpoints, err := store.NewFS(t.Dir, store.FSSubdir("checkpoints"))
	if err != nil {
		return Output{}, fmt.Errorf("eval: %w", err)
	}
	cfg := ResearchConfig(t.Variant)
	cfg.Model, cfg.Corpus = model, research.IndexCorpus(s.Index)
	cfg.Tokenizer = tokens.ForModel(budgetModel)
	cfg.Artifacts, cfg.Checkpoints = artifacts, checkpoints
	if t.Variant.Context.Policy == PolicyNone {
		tok := cfg.Tokenizer
		cfg.NewManager = func() *window.Manager { return &window.Manager{Tokenizer: tok} }
	}
	agent, err := research.New(cfg)
	if err != nil {
		return Output{}, fmt.Errorf("eval: %w", err)
	}
	events, err := observe.OpenJSONL(filepath.Join(t.Dir, "events.jsonl"))
	if err != nil {
		return Output{}, fmt.Errorf("eval: %w", err)
	}
	var tally eventTally
	runID := "eval-" + t.Sample.ID
	opts := []graph.RunOption{graph.WithRunID(runID), graph.WithSinks(events, &tally)}
	res, err := agent.Run(ctx, t.Sample.Question, opts...)
	for asked := 0; err != nil && asked < MaxClarifications; asked++ {
		var ie *graph.InterruptError
		if !errors.As(err, &ie) || t.User == nil {
			break
		}
		var q research.ClarifyingQuestion
		_ = json.Unmarshal(ie.Interrupt.Payload, &q)
		answer, aerr := t.User.Answer(ctx, q.Question)
		if aerr != nil {
			err = aerr
			break
		}
		res, err = agent.Resume(ctx, runID, answer, opts...)
	}
	if cerr := events.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("eval: event log: %w", cerr)
	}
	out := outputOf(res, tally, engineName)
	out.Dialogue = t.User.Dialogue()
	out.Trajectory = "events.jsonl"
	if err != nil {
		return out, err
	}
	if err := writeRunFiles(t.Dir, res); err != nil {
		return out, err
	}
	return out, nil
}

// ResearchConfig overlays a variant's research and context settings on
// research.Config's defaults (Model, Corpus and the stores are left for
// the caller). An explicit max_critique_rounds of 0 turns the critique
// loop off; clarifying questions are on unless the variant turns them off.
func ResearchConfig(v Variant) research.Config {
	var c research.Config
	r := v.Research
	set := func(dst *int, p *int) {
		if p != nil {
			*dst = *p
		}
	}
	set(&c.MaxToolCalls, r.MaxToolCalls)
	set(&c.MaxConcurrentResearchers, r.MaxResearchers)
	set(&c.MaxSupervisorIterations, r.MaxSupervisorIterations)
	set(&c.FindingsBudget, r.FindingsBudget)
	if r.MaxCritiqueRounds != nil {
		c.MaxCritiqueRounds = *r.MaxCritiqueRounds
		if c.MaxCritiqueRounds == 0 {
			c.MaxCritiqueRounds = -1 // research.Config: negative turns the loop off
		}
	}
	c.Clarify = r.Clarify == nil || *r.Clarify
	c.ContextWindow = v.Context.Window
	return c
}

// ModelSpecs returns a variant's default model spec and its per-role
// specs: models.default, else model, else the extractive engine.
func ModelSpecs(v Variant) (def string, roles map[llm.CallRole]string, err error) {
	def = v.Model
	roles = map[llm.CallRole]string{}
	for k, spec := range v.Models {
		if k == "default" {
			def = spec
			continue
		}
		if !slices.Contains(llm.CallRoles, llm.CallRole(k)) {
			return "", nil, fmt.Errorf("eval: variant %s: models: unknown role %q", v.Name, k)
		}
		roles[llm.CallRole(k)] = spec
	}
	if def == "" {
		def = llm.ProviderExtractive
	}
	return def, roles, nil
}

// model opens the variant's router, behind the epoch's cassette when
// caching.
func (s *ResearchSystem) model(v Variant, epoch int) (llm.Model, string, string, error) {
	def, roles, err := ModelSpecs(v)
	if err != nil {
		return nil, "", "", err
	}
	m, err := research.OpenModels(research.ModelSetup{Default: def, Roles: roles, BaseURL: v.BaseURL}, s.Providers)
	if err != nil {
		return nil, "", "", fmt.Errorf("eval: variant %s: %w", v.Name, err)
	}
	if s.CacheDir == "" {
		return m.Router, m.Description, m.BudgetModel, nil
	}
	c, err := s.cassette(cassetteName(v.Name, m.Description, epoch), m.Router)
	if err != nil {
		return nil, "", "", err
	}
	return c, m.Description, m.BudgetModel, nil
}

// cassetteName names a cassette after the variant, its models and the
// epoch: a variant whose models change never replays another model's
// answers, and each epoch keeps its own answers (one cassette for every
// epoch would replay the first epoch's and hide the variance epochs are
// for).
func cassetteName(variant, models string, epoch int) string {
	sum := sha256.Sum256([]byte(models))
	return fmt.Sprintf("%s-%s-e%d", variant, hex.EncodeToString(sum[:4]), epoch)
}

// cassette returns the named cassette, opened once and shared by the
// variant's tasks.
func (s *ResearchSystem) cassette(name string, inner llm.Model) (*replay.Cassette, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.cassettes[name]; ok {
		return c, nil
	}
	c, err := replay.ReplayOrRecord(inner, filepath.Join(s.CacheDir, name+".jsonl"))
	if err != nil {
		return nil, fmt.Errorf("eval: cache: %w", err)
	}
	if s.cassettes == nil {
		s.cassettes = map[string]*replay.Cassette{}
	}
	s.cassettes[name] = c
	return c, nil
}

// Close closes the cassettes.
func (s *ResearchSystem) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for _, c := range s.cassettes {
		errs = append(errs, c.Close())
	}
	s.cassettes = nil
	return errors.Join(errs...)
}

// eventTally counts what the output reports from a run's events.
type eventTally struct {
	modelCalls, toolCalls, peak, edits int
	models                             map[string]bool
}

func (t *eventTally) Handle(ev graph.Event) error {
	switch ev.Kind {
	case graph.EventModelCall:
		t.modelCalls++
		if ev.Model != nil {
			t.peak = max(t.peak, ev.Model.InputTokens)
		}
	case graph.EventToolCall:
		t.toolCalls++
	case graph.EventCustom:
		if ci, ok := ev.Value.(research.ContextInfo); ok {
			t.peak = max(t.peak, ci.ViewTokens)
			t.edits += ci.Edits
		}
	}
	return nil
}

// outputOf converts a research result into an Output.
func outputOf(res research.Result, tally eventTally, engineName string) Output {
	out := Output{
		Report: res.Report, Sources: sourcesOf(res.Sources), Usage: res.State.Usage, Model: engineName,
		ModelCalls: tally.modelCalls, ToolCalls: tally.toolCalls, PeakContext: tally.peak, ContextEdits: tally.edits,
		Warnings: res.State.Warnings,
	}
	for i, d := range res.State.Drafts {
		dr := Draft{Round: i, Report: d.Report, Sources: sourcesOf(d.Sources)}
		if i < len(res.State.Critiques) {
			score := res.State.Critiques[i].Score
			dr.CriticScore = &score
		}
		out.Drafts = append(out.Drafts, dr)
	}
	return out
}

func sourcesOf(srcs []research.Source) []Source {
	out := make([]Source, len(srcs))
	for i, s := range srcs {
		out[i] = Source{N: s.N, DocID: s.DocID, Title: s.Title, Path: s.Path, Chunk: s.Chunk}
	}
	return out
}

// writeRunFiles writes report.md and sources.json as `deepctx research`
// does, so `deepctx eval score` reads an eval's run folder like any other.
func writeRunFiles(dir string, res research.Result) error {
	if err := writeFileAtomic(filepath.Join(dir, "report.md"), []byte(res.Report)); err != nil {
		return err
	}
	srcs := res.Sources
	if srcs == nil {
		srcs = []research.Source{}
	}
	return writeJSONAtomic(filepath.Join(dir, "sources.json"), srcs)
}

// ReadRunFolder reads report.md and sources.json of a research run folder
// (`deepctx research --out DIR`, or an eval attempt's run folder).
func ReadRunFolder(dir string) (Output, error) {
	report, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		return Output{}, fmt.Errorf("eval: run folder %s: %w", dir, err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "sources.json"))
	if err != nil {
		return Output{}, fmt.Errorf("eval: run folder %s: %w", dir, err)
	}
	var srcs []Source
	if err := json.Unmarshal(data, &srcs); err != nil {
		return Output{}, fmt.Errorf("eval: %s: %w", filepath.Join(dir, "sources.json"), err)
	}
	return Output{Report: string(report), Sources: srcs}, nil
}
