package eval_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/eval"
)

func writeSuite(t *testing.T, yaml string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "suite.yaml")
	require.NoError(t, os.WriteFile(path, []byte(yaml), 0o644))
	return path
}

func TestLoadSuite(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "refs"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "refs", "a.md"), []byte("Reference A."), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "more.jsonl"), []byte(`{"id":"c","question":"Q3?","tags":["unanswerable"]}`+"\n"), 0o644))
	path := filepath.Join(dir, "suite.yaml")
	require.NoError(t, os.WriteFile(path, []byte(`
name: demo
corpus: [corpus, $GOROOT/doc]
samples_file: more.jsonl
samples:
  - id: a
    split: dev
    question: "What is A?"
    key_facts:
      - any: ["Alpha  Beta", "gamma"]
        weight: 2
      - regex: "buffered channel .* capacity"
    expected_sources: ["a.md"]
    reference: refs/a.md
    tags: [single-hop]
  - id: b
    question: "What is B?"
    user: {answers: ["the second"]}
variants:
  - name: offline
    model: extractive
  - name: no-critique
    research: {max_critique_rounds: 0}
    context: {policy: none, window: 6000}
`), 0o644))
	s, err := eval.LoadSuite(path)
	require.NoError(t, err)
	assert.Equal(t, "demo", s.Name)
	require.Len(t, s.Corpus, 2)
	assert.Equal(t, filepath.Join(dir, "corpus"), s.Corpus[0])
	assert.True(t, filepath.IsAbs(s.Corpus[1]))
	assert.NotContains(t, s.Corpus[1], "$GOROOT")
	require.Len(t, s.Samples, 3)
	a := s.Samples[0]
	assert.Equal(t, "Reference A.", a.ReferenceText)
	assert.Equal(t, 2.0, a.KeyFacts[0].FactWeight())
	assert.Equal(t, 1.0, a.KeyFacts[1].FactWeight())
	assert.True(t, a.KeyFacts[0].Found("we saw alpha\n beta here"), "case and white space are normalised")
	assert.True(t, a.KeyFacts[1].Found("A Buffered channel has a capacity."))
	assert.False(t, a.KeyFacts[1].Found("an unbuffered channel"))
	assert.True(t, s.Samples[2].Unanswerable())
	require.Len(t, s.Variants, 2)
	require.NotNil(t, s.Variants[1].Research.MaxCritiqueRounds)
	assert.Equal(t, 0, *s.Variants[1].Research.MaxCritiqueRounds, "an explicit 0 is kept, not defaulted")
	assert.Nil(t, s.Variants[0].Research.MaxCritiqueRounds)
	assert.Equal(t, []string{"the second"}, s.Samples[1].User.Answers)
	assert.Len(t, s.Hash(), 64)
}

func TestLoadSuiteErrorsNameFileLineAndField(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown field", "corpus: x\nsamples:\n  - id: a\n    questoin: hi\n", []string{"suite.yaml", "line 4", "questoin"}},
		{"missing question", "corpus: x\nsamples:\n  - id: a\n", []string{"suite.yaml:3", "question: required"}},
		{"duplicate id", "corpus: x\nsamples:\n  - {id: a, question: q}\n  - {id: a, question: r}\n", []string{"suite.yaml:4", `"a" is used twice`}},
		{"bad regex", "corpus: x\nsamples:\n  - id: a\n    question: q\n    key_facts: [{regex: \"(\"}]\n", []string{"suite.yaml:3", "key_facts[0].regex"}},
		{"empty fact", "corpus: x\nsamples:\n  - id: a\n    question: q\n    key_facts: [{weight: 2}]\n", []string{"key_facts[0]"}},
		{"no corpus", "samples:\n  - {id: a, question: q}\n", []string{"corpus: required"}},
		{"bad policy", "corpus: x\nsamples: [{id: a, question: q}]\nvariants:\n  - name: v\n    context: {policy: some}\n", []string{"suite.yaml:4", "context.policy"}},
		{"negative rounds", "corpus: x\nsamples: [{id: a, question: q}]\nvariants:\n  - name: v\n    research: {max_critique_rounds: -1}\n", []string{"max_critique_rounds"}},
		{"bad split", "corpus: x\nsamples: [{id: a, question: q, split: train}]\n", []string{"split"}},
		{"bad rubric", "corpus: x\nsamples: [{id: a, question: q, rubric: [{dimension: speed, criterion: c}]}]\n", []string{"rubric[0].dimension"}},
		{"path in id", "corpus: x\nsamples: [{id: ../a, question: q}]\n", []string{"path separator"}},
		{"missing reference", "corpus: x\nsamples: [{id: a, question: q, reference: nope.md}]\n", []string{"reference"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := eval.LoadSuite(writeSuite(t, c.yaml))
			require.ErrorIs(t, err, eval.ErrSuite)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestSamplesFileErrorsNameTheLine(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "s.jsonl"), []byte("{\"id\":\"a\",\"question\":\"q\"}\n{\"id\":\"b\",\"qestion\":\"q\"}\n"), 0o644))
	path := filepath.Join(dir, "suite.yaml")
	require.NoError(t, os.WriteFile(path, []byte("corpus: x\nsamples_file: s.jsonl\n"), 0o644))
	_, err := eval.LoadSuite(path)
	require.ErrorIs(t, err, eval.ErrSuite)
	assert.Contains(t, err.Error(), "s.jsonl:2")
	assert.Contains(t, err.Error(), "qestion")
}

func FuzzParseSuite(f *testing.F) {
	f.Add([]byte("corpus: x\nsamples:\n  - id: a\n    question: q\n    key_facts: [{any: [a]}]\n"))
	f.Add([]byte("corpus: [a, b]\nsamples: [{id: a, question: q, key_facts: [{regex: \"a.*b\"}]}]\nvariants: [{name: v, research: {max_critique_rounds: 0}}]\n"))
	f.Add([]byte("{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := eval.ParseSuite(data, "/nonexistent/suite.yaml")
		if err != nil {
			return
		}
		require.NotEmpty(t, s.Samples)
		require.NotEmpty(t, s.Variants)
		for _, smp := range s.Samples {
			require.NotEmpty(t, smp.ID)
			for _, f := range smp.KeyFacts {
				f.Found("some text")
			}
		}
	})
}

func TestSamplesFileValidationNamesItsLine(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "s.jsonl"), []byte("{\"id\":\"a\",\"question\":\"q\"}\n\n{\"id\":\"b\",\"question\":\"\"}\n"), 0o644))
	path := filepath.Join(dir, "suite.yaml")
	require.NoError(t, os.WriteFile(path, []byte("corpus: x\nsamples_file: s.jsonl\n"), 0o644))
	_, err := eval.LoadSuite(path)
	require.ErrorIs(t, err, eval.ErrSuite)
	assert.Contains(t, err.Error(), "s.jsonl:3")
	assert.Contains(t, err.Error(), "question: required")
}
