package prune_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/prune"
)

func TestArchiveMakesClearedResultsRecoverable(t *testing.T) {
	c := newConv("arch-")
	first := c.use("c1", "search", text("one", 600))
	c.use("c2", "search", text("two", 600))
	tr := c.transcript(t)

	archived := map[string]string{}
	pol := prune.New(prune.Config{Keep: 1, Trigger: prune.Trigger{Tokens: 500}, Archive: func(_ context.Context, m llm.Message) (string, error) {
		h := fmt.Sprintf("art_%016d", len(archived)+1)
		archived[h] = m.ToolResults()[0].Content
		return h, nil
	}})
	view, rep := mustRun(t, tr, 100_000, pol)
	require.Len(t, rep.Edits, 1)
	require.Len(t, archived, 1, "only the cleared result is archived")
	h := "art_0000000000000001"
	assert.Equal(t, text("one", 600), archived[h], "the archive holds the content as the view showed it")
	found := false
	for _, m := range view {
		if len(m.ToolResults()) == 1 && m.ToolResults()[0].CallID == "c1" {
			found = true
			assert.NotEqual(t, first, m.ID, "the result was replaced")
			assert.Equal(t, h, m.Meta.Artifact)
			assert.Contains(t, m.ToolResults()[0].Content, `read_artifact("`+h+`")`)
		}
	}
	assert.True(t, found)
}

func TestArchiveFailureRecordsNothing(t *testing.T) {
	c := newConv("archfail-")
	c.use("c1", "search", text("one", 600))
	c.use("c2", "search", text("two", 600))
	tr := c.transcript(t)
	pol := prune.New(prune.Config{Keep: 1, Trigger: prune.Trigger{Tokens: 500}, Archive: func(context.Context, llm.Message) (string, error) {
		return "", errors.New("disk full")
	}})
	_, rep, err := run(t, tr, 100_000, pol)
	require.NoError(t, err, "the Manager reports the policy failure and goes on")
	require.Len(t, rep.PolicyErrors, 1)
	assert.Contains(t, rep.PolicyErrors[0].Error(), "disk full")
	assert.Empty(t, tr.Edits(), "a failed archive clears nothing")
}
