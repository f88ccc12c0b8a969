package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"path/filepath"
	"slices"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/provider"
	"github.com/deepctx/deepctx/agent/llm/replay"
	"github.com/deepctx/deepctx/agent/research/verify"
	"github.com/deepctx/deepctx/agent/search"
	"github.com/deepctx/deepctx/eval"
	"github.com/deepctx/deepctx/eval/judge"
	"github.com/deepctx/deepctx/eval/scorers"
)

// evalEnv is what eval commands need open: the suite's corpus index and
// the judge models.
type evalEnv struct {
	index      *search.Index
	resolver   verify.Resolver
	judges     []llm.Model
	judgeNames []string
	userModel  llm.Model
	cassettes  []*replay.Cassette
}

func (e *evalEnv) Close() {
	for _, c := range e.cassettes {
		c.Close()
	}
	if e.index != nil {
		e.index.Close()
	}
}

// openEvalEnv indexes the suite's corpus into db (once; unchanged files
// are skipped) and opens the judges: judgeSpecs when given, else the
// suite's. With cacheDir, every judge call goes through a replay
// cassette there, so rescoring repeats no judge call.
func openEvalEnv(ctx context.Context, w io.Writer, suite *eval.Suite, db string, judgeSpecs []string, cacheDir string) (*evalEnv, error) {
	if len(judgeSpecs) == 0 {
		judgeSpecs = suite.Judges
	}
	e := &evalEnv{}
	for _, spec := range judgeSpecs {
		router, err := llm.OpenRouter(llm.RouterConfig{Default: spec}, provider.Opener(provider.Options{}))
		if err != nil {
			e.Close()
			return nil, usagef("judge %s: %v", spec, err)
		}
		var m llm.Model = router
		if cacheDir != "" {
			sum := sha256.Sum256([]byte(spec))
			c, err := replay.ReplayOrRecord(m, filepath.Join(cacheDir, "judge-"+hex.EncodeToString(sum[:4])+".jsonl"))
			if err != nil {
				e.Close()
				return nil, fmt.Errorf("--cache: %w", err)
			}
			e.cassettes = append(e.cassettes, c)
			m = c
		}
		e.judges = append(e.judges, m)
		e.judgeNames = append(e.judgeNames, spec)
	}
	if len(e.judges) > 0 {
		e.userModel = e.judges[0]
	}
	idx, err := evalIndex(ctx, w, db, suite.Corpus)
	if err != nil {
		e.Close()
		return nil, err
	}
	if idx.Len() == 0 {
		idx.Close()
		e.Close()
		return nil, fmt.Errorf("the suite's corpus %v holds no documents", suite.Corpus)
	}
	e.index, e.resolver = idx, eval.IndexResolver(idx)
	return e, nil
}

// evalScorers returns the scorers to run: every offline scorer, and the
// RACE judge (skipped without judges), restricted to names when given.
// The name "pairwise" selects the pair judge (evalPairScorers) and no
// scorer of this list.
func evalScorers(e *evalEnv, cache eval.Cache, names []string) ([]eval.Named, error) {
	all := allScorers(e, cache)
	if len(names) == 0 {
		return all, nil
	}
	names = slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == judge.NamePairwise })
	if len(names) == 0 {
		return nil, nil
	}
	sel, err := scorers.Select(all, names...)
	if err != nil {
		return nil, usageError{err}
	}
	return sel, nil
}

func allScorers(e *evalEnv, cache eval.Cache) []eval.Named {
	opts := scorers.Options{}
	var judges []llm.Model
	var names []string
	if e != nil {
		judges, names = e.judges, e.judgeNames
		if len(judges) > 0 {
			opts.Supporter = judgeSupporter(judges[0])
		}
	}
	all := scorers.Offline(opts)
	race := &judge.RACE{Judges: judges, Names: names, Cache: cache}
	return append(all, race.Named())
}

// evalPairScorers returns the side-by-side judge when judges are configured.
func evalPairScorers(e *evalEnv) []eval.NamedPair {
	if len(e.judges) == 0 {
		return nil
	}
	p := &judge.Pairwise{Judges: e.judges, Names: e.judgeNames}
	return []eval.NamedPair{{Name: p.Name(), Scorer: p}}
}

// judgeSupporter decides citation support claim by claim with the judge.
func judgeSupporter(m llm.Model) scorers.Supporter { return verify.ModelSupporter{Model: m} }

// higherIsBetter maps every known scorer to its direction.
func higherIsBetter() map[string]bool {
	out := map[string]bool{}
	for _, n := range allScorers(nil, &eval.MemoryCache{}) {
		out[n.Name] = n.Higher
	}
	return out
}
