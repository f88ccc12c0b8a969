package contextbench

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/tokens"
	"github.com/deepctx/deepctx/context/window"
)

func corpus(t *testing.T) string {
	t.Helper()
	c, err := Corpus()
	if err != nil {
		t.Skip(err)
	}
	return c
}

func TestGenerateIsSeededAndPlantsFacts(t *testing.T) {
	c := corpus(t)
	a, b := Generate(7, 60, c), Generate(7, 60, c)
	assert.Equal(t, a, b, "same seed, same trajectory")
	assert.NotEqual(t, a.Steps[5].Result, Generate(8, 60, c).Steps[5].Result)
	require.Len(t, a.Steps, 60)
	require.NotEmpty(t, a.Facts)
	for _, f := range a.Facts {
		assert.Less(t, f.PlantedAt, f.NeededAt)
		assert.Contains(t, a.Steps[f.PlantedAt].Result.ToolResults()[0].Content, f.Text)
		assert.Equal(t, 1, countIn(a, f.Text), "each fact is planted once")
	}
}

func countIn(tr Trajectory, s string) int {
	n := 0
	for _, st := range tr.Steps {
		n += strings.Count(st.Result.ToolResults()[0].Content, s)
	}
	return n
}

func TestRunMeasuresTheReferenceAndThePeer(t *testing.T) {
	c := corpus(t)
	tr := Generate(1, 40, c)
	tok := tokens.ForModel("gpt-4.1")
	ctx := context.Background()

	none := Run(ctx, tr, NewManaged("none", &window.Manager{Tokenizer: tok}, window.Budget{Window: 1 << 30}, nil), tok)
	require.Empty(t, none.Err)
	assert.Len(t, none.Billed, 40)
	assert.Equal(t, none.Facts[FactVerbatim], len(tr.Facts), "the full log keeps every fact verbatim")
	assert.InDelta(t, 1.0, none.PrefixStability, 1e-9, "an append-only log is a perfect prefix")
	for i := 1; i < len(none.Sent); i++ {
		assert.Greater(t, none.Sent[i], none.Sent[i-1], "the log only grows")
	}
	// Cache simulation: all but the new step bills at 10%.
	want := float64(none.Sent[0])
	for i := 1; i < len(none.Sent); i++ {
		want += float64(none.Sent[i]) - 0.9*float64(none.Sent[i-1]-3)
	}
	assert.InDelta(t, want, none.TotalBilled(), 1)

	log.SetOutput(io.Discard) // langchaingo warns on every count it approximates
	defer log.SetOutput(os.Stderr)
	peer := Run(ctx, tr, NewTokenBuffer(20_000), tok)
	require.Empty(t, peer.Err)
	assert.Less(t, peer.Peak, none.Peak, "truncation bounds the context")
	assert.Less(t, peer.TotalBilled(), none.TotalBilled())
	assert.Positive(t, peer.Facts[FactLost], "truncation loses early facts")

	var table, svg bytes.Buffer
	require.NoError(t, WriteTable(&table, []Result{none, peer}))
	assert.Contains(t, table.String(), "| none |")
	assert.Contains(t, table.String(), "| truncate-oldest |")
	require.NoError(t, WriteSVG(&svg, []Result{none, peer}))
	assert.Equal(t, 2, strings.Count(svg.String(), "<polyline"))
}

// failingAt is a strategy whose View fails from a given step on.
type failingAt struct {
	Strategy
	views, at int
}

func (f *failingAt) View(ctx context.Context) ([]llm.Message, error) {
	f.views++
	if f.views > f.at {
		return nil, errors.New("window: context over budget")
	}
	return f.Strategy.View(ctx)
}

func TestStoppedRunsAreReportedAsSuch(t *testing.T) {
	c := corpus(t)
	tr := Generate(3, 10, c)
	tok := tokens.ForModel("gpt-4.1")
	base := NewManaged("base", &window.Manager{Tokenizer: tok}, window.Budget{Window: 1 << 30}, nil)
	r := Run(context.Background(), tr, &failingAt{Strategy: base, at: 3}, tok)
	assert.False(t, r.Completed())
	assert.Len(t, r.Sent, 3, "figures cover the steps before the failure")
	assert.Contains(t, r.Err, "step 3: window: context over budget")
	assert.Positive(t, r.PrefixStability)

	ref := Run(context.Background(), tr, NewManaged("none", &window.Manager{Tokenizer: tok}, window.Budget{Window: 1 << 30}, nil), tok)
	var table bytes.Buffer
	require.NoError(t, WriteTable(&table, []Result{ref, r}))
	assert.Contains(t, table.String(), "stopped at step 4", "a stopped run is not compared as a saving")
}
