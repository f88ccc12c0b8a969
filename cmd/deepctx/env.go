package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/provider"
	"github.com/deepctx/deepctx/agent/research"
	"github.com/deepctx/deepctx/agent/search"
	"github.com/deepctx/deepctx/context/offload"
	"github.com/deepctx/deepctx/context/tokens"
)

// env is what one research run needs open: the agent and the stores behind it.
type env struct {
	settings       settings
	model          llm.Model
	engine         string // the model configuration, for run.json
	tokenizerModel string
	index          *search.Index
	artifacts      *offload.Store
	agent          *research.Agent // set by attach
}

func (e *env) Close() {
	if e.artifacts != nil {
		e.artifacts.Close()
	}
	if e.index != nil {
		e.index.Close()
	}
}

// openEnv opens the models and the corpus index, indexing s.Corpus first.
// Call attach to open a run folder's stores and build the agent.
func openEnv(ctx context.Context, cmd *cobra.Command, s settings) (*env, error) {
	stderr := cmd.ErrOrStderr()
	model, engine, tokenizerModel, err := openModels(s)
	if err != nil {
		return nil, err
	}
	if engine == llm.ProviderExtractive {
		fmt.Fprintln(stderr, "No model configured: running the offline extractive engine (no LLM; it quotes and cites passages). Set --model to use one.")
	}
	e := &env{engine: engine, model: model, tokenizerModel: tokenizerModel, settings: s}
	e.index, err = openIndex(ctx, stderr, s.DB, s.Corpus)
	if err != nil {
		return nil, err
	}
	if e.index.Len() == 0 {
		e.Close()
		return nil, usagef("the corpus index %s is empty: pass --corpus DIR (or run 'deepctx index DIR')", indexPath(s.DB))
	}
	return e, nil
}

// attach opens the run folder's artifact and checkpoint stores and builds
// the agent over them.
func (e *env) attach(folder runFolder) error {
	var err error
	if e.artifacts, err = artifactStore(folder); err != nil {
		return fmt.Errorf("run folder: %w", err)
	}
	cps, err := checkpointStore(folder)
	if err != nil {
		return fmt.Errorf("run folder: %w", err)
	}
	s := e.settings
	e.agent, err = research.New(research.Config{
		Model:                    e.model,
		Corpus:                   research.IndexCorpus(e.index),
		Tokenizer:                tokens.ForModel(e.tokenizerModel),
		ContextWindow:            s.ContextWindow,
		MaxConcurrentResearchers: s.MaxResearchers,
		MaxToolCalls:             s.MaxToolCalls,
		MaxCritiqueRounds:        s.critiqueRounds(),
		Clarify:                  !s.NoClarify,
		Artifacts:                e.artifacts,
		Checkpoints:              cps,
	})
	return err
}

// openModels opens the router over the configured models. Without any,
// every role runs on the offline extractive engine. It returns the router,
// a description of the engine for run.json, and the model whose
// tokenizer counts the views.
func openModels(s settings) (llm.Model, string, string, error) {
	roles := map[llm.CallRole]string{}
	for r, spec := range s.Roles {
		roles[llm.CallRole(r)] = spec
	}
	m, err := research.OpenModels(research.ModelSetup{Default: s.Model, Roles: roles, BaseURL: s.BaseURL}, provider.Options{})
	if err != nil {
		return nil, "", "", err
	}
	return m.Router, m.Description, m.BudgetModel, nil
}

// indexPath is the corpus index folder: db, or deepctx/index in the user
// cache directory.
func indexPath(db string) string {
	if db != "" {
		return db
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "deepctx", "index")
}

// openIndex opens the index and brings roots up to date in it, reporting
// progress on w.
func openIndex(ctx context.Context, w io.Writer, db string, roots []string) (*search.Index, error) {
	idx, err := openIndexAt(indexPath(db), w)
	if err != nil {
		return nil, err
	}
	if len(roots) == 0 {
		return idx, nil
	}
	for _, r := range roots {
		if _, err := os.Stat(r); err != nil {
			idx.Close()
			if errors.Is(err, os.ErrNotExist) {
				return nil, usagef("--corpus %s: no such file or folder", r)
			}
			return nil, fmt.Errorf("--corpus: %w", err)
		}
	}
	if _, err := indexRoots(ctx, w, idx, roots); err != nil {
		idx.Close()
		return nil, err
	}
	return idx, nil
}
