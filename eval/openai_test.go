package eval_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/extractive"
	"github.com/deepctx/deepctx/agent/llm/openai/openaitest"
	"github.com/deepctx/deepctx/agent/llm/provider"
	"github.com/deepctx/deepctx/agent/search"
	"github.com/deepctx/deepctx/eval"
	"github.com/deepctx/deepctx/eval/judge"
	"github.com/deepctx/deepctx/eval/scorers"
	"github.com/deepctx/deepctx/eval/stats"
)

// These tests run the harness end to end over the network: the research
// agent of every variant and both judges are models on an OpenAI-compatible
// httptest server, reached through agent/llm/provider. The only offline
// parts are the server's backing models: the extractive engine plays the
// research model, scripted logic the judges.

// apiKey is the server's key. It must never reach a cassette.
const apiKey = "sk-evaltest-0123456789abcdefghij"

// corpusDocs are the corpus: one distinct topic per file.
var corpusDocs = map[string]string{
	"otters.md": `# Sea otters

Sea otters hold hands while they sleep so that they do not drift apart on the water. A group of sea otters resting together on the surface is called a raft. Sea otters wrap themselves in kelp to stay anchored in one place while they sleep.

Sea otters have the densest fur of any animal, with up to a million hairs per square inch. Their fur traps a layer of air that keeps their skin dry and warm.
`,
	"bees.md": `# Honeybee communication

Honeybees perform the waggle dance to tell their nestmates where food sources are. The angle of the waggle run relative to vertical encodes the direction of the food source relative to the sun. The duration of the waggle run encodes the distance to the food source.

Karl von Frisch decoded the waggle dance and received the Nobel Prize in 1973 for this work.
`,
	"volcanoes.md": `# Volcanoes

Olympus Mons on Mars is the tallest volcano in the solar system, about three times the height of Mount Everest. Mauna Kea in Hawaii is the tallest volcano on Earth when measured from its base on the ocean floor.
`,
	"glass.md": `# Glassmaking

Glass is made by melting silica sand with soda ash and limestone at about 1700 degrees Celsius. Annealing cools the glass slowly so that internal stresses do not crack it.
`,
}

// referenceDocs are the samples' reference reports, in refs/.
var referenceDocs = map[string]string{
	"otters.md": "# Sea otters\n\nSea otters hold hands while they sleep and rest in groups called rafts.\n",
	"bees.md":   "# The waggle dance\n\nIts angle gives the direction of the food and its duration the distance.\n",
}

// isReference reports whether text is one of the reference reports.
func isReference(text string) bool {
	for _, ref := range referenceDocs {
		if strings.TrimSpace(text) == strings.TrimSpace(ref) {
			return true
		}
	}
	return false
}

// suiteYAML is the suite; %s is the research server's base URL.
const suiteYAML = `name: openai-e2e
corpus: docs
samples:
  - id: otters
    question: How do sea otters keep from drifting apart while they sleep?
    key_facts:
      - any: ["hold hands"]
      - any: ["raft"]
    expected_sources: [otters.md]
    reference: refs/otters.md
  - id: bees
    question: What does the honeybee waggle dance encode about food sources?
    key_facts:
      - any: ["direction"]
      - any: ["distance"]
    expected_sources: [bees.md]
    reference: refs/bees.md
variants:
  - name: critique
    model: openai:research-model
    base_url: %[1]s
  - name: no-critique
    model: openai:research-model
    base_url: %[1]s
    research:
      max_critique_rounds: 0
`

// fixture is the corpus, its index and the suite, in t.TempDir().
type fixture struct {
	dir   string
	index *search.Index
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	dir := t.TempDir()
	docs := filepath.Join(dir, "docs")
	require.NoError(t, os.MkdirAll(docs, 0o755))
	for name, text := range corpusDocs {
		require.NoError(t, os.WriteFile(filepath.Join(docs, name), []byte(text), 0o644))
	}
	refs := filepath.Join(dir, "refs")
	require.NoError(t, os.MkdirAll(refs, 0o755))
	for name, text := range referenceDocs {
		require.NoError(t, os.WriteFile(filepath.Join(refs, name), []byte(text), 0o644))
	}
	idx, err := search.Open(filepath.Join(dir, "index"), search.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = idx.Close() })
	_, err = idx.Add(t.Context(), docs)
	require.NoError(t, err)
	return fixture{dir: dir, index: idx}
}

// suite parses the suite with its variants pointing at baseURL.
func (f fixture) suite(t *testing.T, baseURL string) *eval.Suite {
	t.Helper()
	s, err := eval.ParseSuite([]byte(fmt.Sprintf(suiteYAML, baseURL)), filepath.Join(f.dir, "suite.yaml"))
	require.NoError(t, err)
	return s
}

// providers reach the "openai" provider with the test key; the variants'
// base_url says where.
func providers() provider.Options {
	return provider.Options{Endpoints: map[string]provider.Endpoint{"openai": {APIKey: apiKey}}}
}

// The judges' scripted logic. Both answer from the first user message (the
// task's prompt), so a retry conversation is answered like the first call.

var criterionLine = regexp.MustCompile(`(?m)^\d+\. \[`)

const rubricReply = `{"dimension_weights": {"comprehensiveness": 0.4, "insight": 0.2, "instruction_following": 0.2, "readability": 0.2},
 "criteria": [
  {"dimension": "comprehensiveness", "criterion": "States the key facts the question asks for.", "weight": 0.6},
  {"dimension": "comprehensiveness", "criterion": "Cites a source for each fact.", "weight": 0.4},
  {"dimension": "insight", "criterion": "Explains why the facts matter.", "weight": 1},
  {"dimension": "instruction_following", "criterion": "Answers the question asked.", "weight": 1},
  {"dimension": "readability", "criterion": "Is clearly structured.", "weight": 1}]}`

// judgeModel returns a judge that grades every criterion of reports A and
// B with grade, and compares reports with compare.
func judgeModel(grade func(a, b string) (int, int), compare func(r1, r2 string) string) llm.Model {
	return llm.ModelFunc(func(_ context.Context, req llm.Request) (llm.Response, error) {
		prompt := ""
		for _, m := range req.Messages {
			if m.Role == llm.RoleUser {
				prompt = m.Text()
				break
			}
		}
		var text string
		switch {
		case strings.Contains(prompt, "Write a rubric"):
			text = rubricReply
		case strings.Contains(prompt, "Grade two research reports"):
			a, b := grade(block(prompt, "A"), block(prompt, "B"))
			var scores []string
			for i := range criterionLine.FindAllString(prompt, -1) {
				scores = append(scores, fmt.Sprintf(`{"criterion": %d, "a": %d, "b": %d, "explanation": "as graded"}`, i+1, a, b))
			}
			text = `{"scores": [` + strings.Join(scores, ", ") + `]}`
		case strings.Contains(prompt, "Compare two research reports"):
			text = fmt.Sprintf(`{"winner": %q, "explanation": "compared"}`, compare(block(prompt, "1"), block(prompt, "2")))
		default:
			return llm.Response{}, &llm.ProviderError{Kind: llm.ErrBadRequest, Message: "not a judge prompt"}
		}
		return llm.Response{Message: llm.Assistant(text), FinishReason: llm.FinishStop}, nil
	})
}

// block returns the text of <report id="id"> in a prompt.
func block(prompt, id string) string {
	_, rest, _ := strings.Cut(prompt, `<report id="`+id+`">`)
	text, _, _ := strings.Cut(rest, "</report>")
	return text
}

// fairGrades grades the report target and the reference ref, whichever
// is shown first: a judge without position bias.
func fairGrades(target, ref int) func(a, b string) (int, int) {
	return func(a, _ string) (int, int) {
		if isReference(a) {
			return ref, target
		}
		return target, ref
	}
}

// biasedGrades grades report A a and report B b, whatever they are: a
// position-biased judge.
func biasedGrades(a, b int) func(string, string) (int, int) {
	return func(string, string) (int, int) { return a, b }
}

// longer prefers the longer report, whatever the order: a consistent judge.
func longer(r1, r2 string) string {
	switch {
	case len(r1) > len(r2):
		return "1"
	case len(r2) > len(r1):
		return "2"
	}
	return "tie"
}

// first always prefers the report shown first: a position-biased judge.
func first(string, string) string { return "1" }

// researchRequest reports whether r went to the research model.
func researchRequest(r openaitest.Request) bool { return r.Wire.Model == "research-model" }

func TestRunAgainstAnOpenAICompatibleServer(t *testing.T) {
	f := newFixture(t)
	var malformedSent atomic.Bool
	srv := openaitest.New(t, openaitest.Config{
		Models: map[string]llm.Model{
			"research-model": extractive.New(extractive.Options{}),
			"judge-a":        judgeModel(fairGrades(7, 8), longer),
			"judge-b":        judgeModel(biasedGrades(6, 4), first),
		},
		Role: func(w openaitest.Wire) llm.CallRole {
			if strings.HasPrefix(w.Model, "judge-") {
				return llm.CallJudge
			}
			return openaitest.ResearchRole(w)
		},
		APIKey: apiKey,
		// judge-a's first reply is prose, not JSON: the judge must be
		// told and asked again.
		Handler: func(w http.ResponseWriter, r openaitest.Request) bool {
			if r.Wire.Model != "judge-a" || !malformedSent.CompareAndSwap(false, true) {
				return false
			}
			openaitest.Reply(w, r, llm.Response{Message: llm.Assistant("Both reports look reasonable to me; the first is a bit better.")})
			return true
		},
	})
	suite := f.suite(t, srv.BaseURL())

	var judges []llm.Model
	for _, name := range []string{"judge-a", "judge-b"} {
		spec, err := llm.ParseSpec("openai:" + name)
		require.NoError(t, err)
		m, err := provider.Open(t.Context(), spec, provider.Options{Endpoints: map[string]provider.Endpoint{
			"openai": {APIKey: apiKey, BaseURL: srv.BaseURL()},
		}})
		require.NoError(t, err)
		judges = append(judges, m)
	}
	race := &judge.RACE{Judges: judges, Cache: &eval.MemoryCache{}}
	sys := &eval.ResearchSystem{Index: f.index, Providers: providers()}
	defer sys.Close()

	out, err := eval.Run(t.Context(), suite, eval.Options{
		System: sys, Dir: filepath.Join(f.dir, "log"),
		Scorers:     append(scorers.Offline(scorers.Options{}), race.Named()),
		PairScorers: []eval.NamedPair{{Name: judge.NamePairwise, Scorer: &judge.Pairwise{Judges: judges}}},
		Corpus:      eval.IndexResolver(f.index),
		Retries:     -1, Timeout: 2 * time.Minute,
	})
	require.NoError(t, err)
	assert.Equal(t, 4, out.Ran)
	assert.Zero(t, out.Failed)

	require.Len(t, out.Records, 4)
	for _, rec := range out.Records {
		name := rec.Variant + "/" + rec.Sample
		require.Equal(t, eval.RecordOK, rec.Status, "%s: %s", name, rec.Error)
		assert.NotEmpty(t, rec.Output.Report, name)
		assert.NotEmpty(t, rec.Output.Sources, name)
		assert.Equal(t, "openai:research-model", rec.Output.Model, name)
		assert.Positive(t, rec.Output.ModelCalls, name)
		assert.Positive(t, rec.Output.Usage.Input, name)
		for _, sc := range []string{scorers.FactRecall, scorers.CitationAccuracy, judge.NameRACE} {
			assert.True(t, rec.Scores[sc].Valid(), "%s: %s: %+v", name, sc, rec.Scores[sc])
		}
		assert.Positive(t, rec.Scores[scorers.FactRecall].Value, name)
		race := rec.Scores[judge.NameRACE]
		assert.InDelta(t, (7.0/15+0.5)/2, race.Value, 1e-9, name)
		var perJudge []judge.JudgeScores
		remarshal(t, race.Metadata["judges"], &perJudge)
		require.Len(t, perJudge, 2, name)
		assert.Equal(t, "judge-a", perJudge[0].Judge)
		assert.InDelta(t, 7.0/15, perJudge[0].Relative, 1e-9)
		require.Len(t, perJudge[0].Orders, 2, name)
		for _, o := range perJudge[0].Orders {
			assert.InDelta(t, 7.0/15, o.Relative, 1e-9, "%s: judge-a grades the reports, not their positions", name)
		}
		assert.Equal(t, "judge-b", perJudge[1].Judge)
		assert.InDelta(t, 0.5, perJudge[1].Relative, 1e-9, "%s: judge-b's preference for report A cancels over the two orders", name)
		require.Len(t, perJudge[1].Orders, 2, name)
		assert.InDelta(t, 0.6, perJudge[1].Orders[0].Relative, 1e-9, "%s: the report as A", name)
		assert.InDelta(t, 0.4, perJudge[1].Orders[1].Relative, 1e-9, "%s: the report as B", name)
	}

	pairs, err := out.Log.Pairs()
	require.NoError(t, err)
	require.Len(t, pairs, 2, "one comparison per sample")
	for _, p := range pairs {
		assert.Equal(t, "critique", p.A)
		assert.Equal(t, "no-critique", p.B)
		ps := p.Scores[judge.NamePairwise]
		require.Empty(t, ps.Error, p.Sample)
		require.False(t, ps.Skipped, p.Sample)
		var verdicts []judge.JudgeVerdict
		remarshal(t, ps.Metadata["judges"], &verdicts)
		require.Len(t, verdicts, 2)
		assert.Equal(t, "judge-a", verdicts[0].Judge)
		assert.True(t, verdicts[0].Consistent, "judge-a prefers a report, not a position")
		assert.Equal(t, "judge-b", verdicts[1].Judge)
		assert.False(t, verdicts[1].Consistent, "judge-b always says 1")
		assert.Equal(t, judge.Tie, verdicts[1].Resolved, "so the order swap makes its verdict a tie")
		assert.Equal(t, [2]string{"1", "1"}, [2]string{verdicts[1].Verdicts[0].Said, verdicts[1].Verdicts[1].Said})
		assert.Equal(t, judge.Tie, ps.Verdicts[1])
		assert.Contains(t, ps.Explanation, "order swap changed the verdict of judge-b")
	}

	// What went over the wire.
	var research, judged int
	var retried bool
	for _, r := range srv.Requests() {
		assert.Equal(t, "Bearer "+apiKey, r.Header.Get("Authorization"))
		assert.Equal(t, http.StatusOK, r.Status, "request %d", r.N)
		if researchRequest(r) {
			research++
			assert.True(t, r.Wire.Stream, "research requests stream (request %d, %s)", r.N, r.Role)
			assert.NotEqual(t, llm.CallJudge, r.Role)
			continue
		}
		judged++
		assert.Equal(t, llm.CallJudge, r.Role)
		assert.False(t, r.Wire.Stream, "judges do not stream")
		if assert.NotNil(t, r.Wire.Temperature, "request %d", r.N) {
			assert.Zero(t, *r.Wire.Temperature, "judges run at temperature 0")
		}
		for _, m := range r.Wire.Messages {
			retried = retried || m.Role == "user" && strings.HasPrefix(m.Content, "Your reply could not be used")
		}
	}
	assert.Positive(t, research)
	// 1 rubric per sample; RACE scoring of 4 runs by 2 judges, each
	// grading both orders (the report as A, then the reference as A), so
	// 2 × 4 × 2; 2 judges × 2 orders × 2 samples comparing; and the retry.
	assert.Equal(t, 2+16+8+1, judged)
	assert.True(t, malformedSent.Load())
	assert.True(t, retried, "the malformed reply was shown back to judge-a")

	h, err := out.Log.Header()
	require.NoError(t, err)
	sum, err := eval.Summarize(h, out.Records, pairs, stats.BootstrapOptions{})
	require.NoError(t, err)
	require.Len(t, sum.Pairwise, 1)
	ps := sum.Pairwise[0]
	assert.Equal(t, "critique", ps.A)
	assert.Equal(t, "no-critique", ps.B)
	assert.Equal(t, judge.NamePairwise, ps.Scorer)
	assert.Equal(t, 2, ps.Wins[0]+ps.Wins[1]+ps.Wins[2], "one verdict per sample")
	require.NotNil(t, ps.Agreement, "a panel's agreement is measured across the samples")
	assert.Equal(t, stats.MethodCohenKappa, ps.Agreement.Method)
	assert.Equal(t, 2, ps.Agreement.Items)
	assert.Equal(t, 2, ps.Agreement.Judges)
	for _, v := range sum.Variants {
		assert.Equal(t, 2, v.Attempts, v.Name)
		assert.Zero(t, v.Errors, v.Name)
		assert.Contains(t, v.Scores, judge.NameRACE, v.Name)
	}
}

// remarshal decodes metadata that went through the log's JSON into v.
func remarshal(t *testing.T, from, v any) {
	t.Helper()
	data, err := json.Marshal(from)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, v))
}

func TestCachedRunRepeatsNoModelCall(t *testing.T) {
	f := newFixture(t)
	live := openaitest.New(t, openaitest.Config{
		Models: map[string]llm.Model{"research-model": extractive.New(extractive.Options{})},
		Role:   openaitest.ResearchRole,
		APIKey: apiKey,
	})
	cache := filepath.Join(f.dir, "cassettes")
	run := func(baseURL, log string) eval.Outcome {
		t.Helper()
		sys := &eval.ResearchSystem{Index: f.index, Providers: providers(), CacheDir: cache}
		out, err := eval.Run(t.Context(), f.suite(t, baseURL), eval.Options{
			System: sys, Dir: filepath.Join(f.dir, log),
			Scorers: scorers.Offline(scorers.Options{}), Corpus: eval.IndexResolver(f.index),
			Retries: -1, Timeout: 2 * time.Minute,
		})
		require.NoError(t, sys.Close())
		require.NoError(t, err)
		return out
	}

	first := run(live.BaseURL(), "log1")
	require.NotEmpty(t, live.Requests())
	live.Close()

	// Every request to this server fails: only the cassettes can answer.
	dead := openaitest.New(t, openaitest.Config{
		Models: map[string]llm.Model{"research-model": extractive.New(extractive.Options{})},
		Handler: func(w http.ResponseWriter, _ openaitest.Request) bool {
			openaitest.WriteError(w, http.StatusServiceUnavailable, "server_error", "", "down")
			return true
		},
	})
	second := run(dead.BaseURL(), "log2")
	assert.Empty(t, dead.Requests(), "a re-run repeats no model call")
	assert.Zero(t, second.Resumed, "a new log: nothing is kept from the first run")
	require.Len(t, second.Records, len(first.Records))
	for i, rec := range second.Records {
		name := rec.Variant + "/" + rec.Sample
		require.Equal(t, eval.RecordOK, rec.Status, "%s: %s", name, rec.Error)
		assert.Equal(t, first.Records[i].Output.Report, rec.Output.Report, name)
		assert.Equal(t, first.Records[i].Output.Sources, rec.Output.Sources, name)
		assert.Equal(t, first.Records[i].Scores[scorers.FactRecall].Value, rec.Scores[scorers.FactRecall].Value, name)
	}

	files, err := filepath.Glob(filepath.Join(cache, "*.jsonl"))
	require.NoError(t, err)
	assert.Len(t, files, 2, "one cassette per variant")
	for _, path := range files {
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.NotEmpty(t, data)
		assert.NotContains(t, string(data), apiKey, "%s holds the API key", path)
		assert.NotContains(t, string(data), "Bearer", path)
	}
}
