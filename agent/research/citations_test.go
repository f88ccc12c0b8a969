package research

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/context/window"
)

// passages is a Corpus of fixed passages, for testing citation handling
// alone (the end-to-end tests use a real search index).
type passages map[string]string

func (p passages) Tools(func(string)) []window.Tool { return nil }

func (p passages) Source(ctx context.Context, docID string, chunk int) (Source, error) {
	key := fmt.Sprintf("%s#%d", docID, chunk)
	text, ok := p[key]
	if !ok {
		return Source{}, fmt.Errorf("no passage %s", key)
	}
	return Source{DocID: docID, Title: "Doc " + docID, Path: "/docs/" + docID, Chunk: chunk, Text: text}, nil
}

func TestCite(t *testing.T) {
	corpus := passages{"aaa#1": "one", "bbb#2": "two", "ccc#0": "three"}
	tests := []struct {
		name     string
		keyed    string
		body     string
		sources  []string
		problems []string
	}{
		{
			name:    "numbered in order of first use, repeats reuse the number",
			keyed:   "# T\n\nFirst claim [bbb#2]. Second [aaa#1]. Again [bbb#2].",
			body:    "# T\n\nFirst claim [1]. Second [2]. Again [1].",
			sources: []string{"bbb#2", "aaa#1"},
		},
		{
			name:    "several keys in one bracket",
			keyed:   "Both say so [aaa#1; ccc#0] and [bbb#2, aaa#1].",
			body:    "Both say so [1][2] and [3][1].",
			sources: []string{"aaa#1", "ccc#0", "bbb#2"},
		},
		{
			name:     "an unresolved key is removed and reported",
			keyed:    "Real [aaa#1]. Made up [zzz#9].",
			body:     "Real [1]. Made up.",
			sources:  []string{"aaa#1"},
			problems: []string{"unresolved citation [zzz#9] removed: no passage zzz#9"},
		},
		{
			name:    "a bare [n] is escaped, but not inside code",
			keyed:   "In 2024 [3] said `buf[0]` is first [aaa#1].",
			body:    "In 2024 \\[3\\] said `buf[0]` is first [1].",
			sources: []string{"aaa#1"},
		},
		{
			name:     "uncited paragraphs are reported, headings and short notes are not",
			keyed:    "## Summary\n\nNo findings.\n\nThis paragraph states a claim without any source.\n\nCited [ccc#0].",
			body:     "## Summary\n\nNo findings.\n\nThis paragraph states a claim without any source.\n\nCited [1].",
			sources:  []string{"ccc#0"},
			problems: []string{"uncited: This paragraph states a claim without any source."},
		},
		{
			name:    "the writer's own Sources list is replaced",
			keyed:   "Claim [aaa#1].\n\n## Sources\n\n1. something",
			body:    "Claim [1].",
			sources: []string{"aaa#1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := cite(context.Background(), corpus, tt.keyed)
			require.NoError(t, err)
			body, list, ok := strings.Cut(d.Report, "\n\n"+sourcesHeading+"\n")
			require.True(t, ok, d.Report)
			assert.Equal(t, tt.body, body)
			var got []string
			for i, s := range d.Sources {
				assert.Equal(t, i+1, s.N)
				got = append(got, fmt.Sprintf("%s#%d", s.DocID, s.Chunk))
				assert.Contains(t, list, fmt.Sprintf("%d. Doc %s — /docs/%s (passage %d", s.N, s.DocID, s.DocID, s.Chunk))
			}
			assert.Equal(t, tt.sources, got)
			assert.Equal(t, tt.problems, d.Problems)
			require.NoError(t, Verify(context.Background(), corpus, d.Report, d.Sources))
		})
	}
}

func TestVerifyFindsBrokenReports(t *testing.T) {
	corpus := passages{"aaa#1": "one"}
	good := []Source{{N: 1, DocID: "aaa", Chunk: 1}}
	assert.NoError(t, Verify(context.Background(), corpus, "x [1]\n\n## Sources\n", good))
	assert.ErrorContains(t, Verify(context.Background(), corpus, "x [2]", good), "citation [2] has no source")
	assert.ErrorContains(t, Verify(context.Background(), corpus, "x [1]", []Source{{N: 1, DocID: "gone", Chunk: 0}}), "no passage gone#0")
	assert.ErrorContains(t, Verify(context.Background(), corpus, "x [1]", []Source{{N: 2, DocID: "aaa", Chunk: 1}}), "numbered 2")
	assert.NoError(t, Verify(context.Background(), corpus, "code `a[0]` and \\[7\\]", nil), "code and escaped brackets are not citations")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, Verify(ctx, corpus, "x [1]", good), context.Canceled)
}
