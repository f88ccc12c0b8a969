package eval_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm/scripted"
	"github.com/deepctx/deepctx/eval"
	"github.com/deepctx/deepctx/eval/scorers"
)

func TestResearchSystemAsksTheSimulatedUserAndRecordsTheDialogue(t *testing.T) {
	f := newFixture(t)
	sys := &eval.ResearchSystem{Index: f.index}
	defer sys.Close()
	suite := &eval.Suite{
		Name: "clarify", Corpus: eval.Paths{filepath.Join(f.dir, "docs")},
		Samples: []eval.Sample{{
			// One content word: the offline planner asks what is meant.
			ID: "vague", Question: "Otters?", User: &eval.SimUser{Answers: []string{"How do sea otters sleep in groups?"}},
			KeyFacts: []eval.Fact{{Any: []string{"raft"}}},
		}},
		Variants: []eval.Variant{{Name: "offline", Model: "extractive"}},
	}
	out, err := eval.Run(context.Background(), suite, eval.Options{
		System: sys, Dir: filepath.Join(t.TempDir(), "log"), Corpus: eval.IndexResolver(f.index),
		Scorers: scorers.Offline(scorers.Options{}),
	})
	require.NoError(t, err)
	require.Len(t, out.Records, 1)
	rec := out.Records[0]
	require.Equal(t, eval.RecordOK, rec.Status, rec.Error)
	require.Len(t, rec.Output.Dialogue, 1, "the agent asked once and the log keeps the exchange")
	assert.Contains(t, rec.Output.Dialogue[0].Question, "Otters?")
	assert.Equal(t, "How do sea otters sleep in groups?", rec.Output.Dialogue[0].Answer)
	assert.NotEmpty(t, rec.Output.Report)
	assert.Positive(t, rec.Output.ModelCalls)
	assert.Positive(t, rec.Output.ToolCalls)
	assert.Positive(t, rec.Output.PeakContext)
	assert.Equal(t, "extractive", rec.Output.Model)
	run := out.Log.RunDir(rec.Key())
	for _, name := range []string{"report.md", "sources.json", "events.jsonl"} {
		assert.FileExists(t, filepath.Join(run, name))
	}
	back, err := eval.ReadRunFolder(run)
	require.NoError(t, err)
	assert.Equal(t, rec.Output.Report, back.Report, "the run folder reads back as `deepctx research` writes it")
	assert.Equal(t, rec.Output.Sources, back.Sources)
	assert.True(t, rec.Scores["citation_accuracy"].Valid(), "citations resolve against the index")
}

func TestUserAnswers(t *testing.T) {
	ctx := context.Background()
	fixed := eval.NewUser(&eval.SimUser{Answers: []string{"first", "second"}}, nil)
	for _, want := range []string{"first", "second", "second"} {
		got, err := fixed.Answer(ctx, "which?")
		require.NoError(t, err)
		assert.Equal(t, want, got, "answers in order, the last repeats")
	}
	assert.Len(t, fixed.Dialogue(), 3)

	none := eval.NewUser(nil, nil)
	got, err := none.Answer(ctx, "which?")
	require.NoError(t, err)
	assert.Equal(t, eval.DefaultAnswer, got)

	model := scripted.New(scripted.Text("  The one about rafts.  "))
	persona := eval.NewUser(&eval.SimUser{Persona: "a marine biologist"}, model)
	got, err = persona.Answer(ctx, "Which aspect?")
	require.NoError(t, err)
	assert.Equal(t, "The one about rafts.", got)
	reqs := model.Requests()
	require.Len(t, reqs, 1)
	assert.Contains(t, reqs[0].Messages[0].Text(), "a marine biologist")
	assert.Equal(t, "Which aspect?", reqs[0].Messages[1].Text())

	assert.Nil(t, (*eval.User)(nil).Dialogue())
}

func TestReadRunFolderErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := eval.ReadRunFolder(dir)
	require.Error(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "report.md"), []byte("r"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "sources.json"), []byte("{"), 0o644))
	_, err = eval.ReadRunFolder(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "sources.json")
}
