package report

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/deepctx/deepctx/eval"
	"github.com/deepctx/deepctx/eval/stats"
)

func TestMarkReport(t *testing.T) {
	sup := func(n int) citationVerdict { return citationVerdict{N: n, Status: "supported", Reason: "ok"} }
	bad := func(n int) citationVerdict { return citationVerdict{N: n, Status: "unsupported"} }
	tests := []struct {
		name   string
		report string
		claims []claimVerdict
		want   string
	}{
		{
			name:   "no claims: escaped text",
			report: "<b>x</b> [1] & y",
			want:   "&lt;b&gt;x&lt;/b&gt; [1] &amp; y",
		},
		{
			name:   "claim at its offset",
			report: "Intro. A is B [1].\n\n[1] src",
			claims: []claimVerdict{{Text: "A is B [1].", Offset: 7, Citations: []citationVerdict{sup(1)}}},
			want:   `Intro. A is B <span class="cite supported" title="supported: ok">[1]</span>.` + "\n\n[1] src",
		},
		{
			name:   "wrong offset: found by its text",
			report: "Intro. A is B [1].",
			claims: []claimVerdict{{Text: "A is B [1].", Offset: 99, Citations: []citationVerdict{sup(1)}}},
			want:   `Intro. A is B <span class="cite supported" title="supported: ok">[1]</span>.`,
		},
		{
			name:   "markers after a claim that excludes them",
			report: "A is B [2]. C is D [1].",
			claims: []claimVerdict{
				{Text: "A is B", Offset: 0, Citations: []citationVerdict{bad(2)}},
				{Text: "C is D", Offset: 12, Citations: []citationVerdict{sup(1)}},
			},
			want: `A is B <span class="cite unsupported" title="unsupported">[2]</span>. C is D <span class="cite supported" title="supported: ok">[1]</span>.`,
		},
		{
			name:   "grouped markers marked number by number",
			report: "A is B [1, 2].",
			claims: []claimVerdict{{Text: "A is B [1, 2].", Offset: 0, Citations: []citationVerdict{sup(1), bad(2)}}},
			want:   `A is B [<span class="cite supported" title="supported: ok">1</span>, <span class="cite unsupported" title="unsupported">2</span>].`,
		},
		{
			name:   "a marker without a verdict stays plain",
			report: "A is B [1][4].",
			claims: []claimVerdict{{Text: "A is B [1][4].", Offset: 0, Citations: []citationVerdict{sup(1)}}},
			want:   `A is B <span class="cite supported" title="supported: ok">[1]</span>[4].`,
		},
		{
			name:   "marking stops at the end of the claim's line",
			report: "A is B\n[1] source",
			claims: []claimVerdict{{Text: "A is B", Offset: 0, Citations: []citationVerdict{sup(1)}}},
			want:   "A is B\n[1] source",
		},
		{
			name:   "unknown status and escaped reason",
			report: "A [1]",
			claims: []claimVerdict{{Text: "A [1]", Citations: []citationVerdict{{N: 1, Status: `x"><b>`, Reason: `<i>`}}}},
			want:   `A <span class="cite unknown" title="x&#34;&gt;&lt;b&gt;: &lt;i&gt;">[1]</span>`,
		},
		{
			name:   "uncited claim",
			report: "A <is> B. C [1].",
			claims: []claimVerdict{{Text: "A <is> B.", Offset: 0}, {Text: "C [1].", Offset: 10, Citations: []citationVerdict{sup(1)}}},
			want:   `<span class="uncited" title="claim without citation">A &lt;is&gt; B.</span> C <span class="cite supported" title="supported: ok">[1]</span>.`,
		},
		{
			name:   "claims not in the report are ignored",
			report: "A [1].",
			claims: []claimVerdict{{Text: "not here", Offset: 3, Citations: []citationVerdict{sup(1)}}, {Text: "", Offset: -5}},
			want:   "A [1].",
		},
		{
			name:   "overlapping claims: the later is found after the earlier or dropped",
			report: "A is B [1].",
			claims: []claimVerdict{
				{Text: "A is B [1].", Offset: 0, Citations: []citationVerdict{sup(1)}},
				{Text: "is B", Offset: 2, Citations: []citationVerdict{bad(1)}},
			},
			want: `A is B <span class="cite supported" title="supported: ok">[1]</span>.`,
		},
		{
			name:   "multi-byte text keeps byte offsets",
			report: "Über — A [1].",
			claims: []claimVerdict{{Text: "A [1].", Offset: len("Über — "), Citations: []citationVerdict{sup(1)}}},
			want:   `Über — A <span class="cite supported" title="supported: ok">[1]</span>.`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, string(markReport(tt.report, tt.claims)))
		})
	}
}

func TestDecodeMeta(t *testing.T) {
	type typed struct {
		Text   string `json:"text"`
		Offset int    `json:"offset"`
	}
	var got []claimVerdict
	assert.True(t, decodeMeta(map[string]any{"claims": []typed{{"a", 3}}}, "claims", &got))
	assert.Equal(t, []claimVerdict{{Text: "a", Offset: 3}}, got)
	got = nil
	assert.True(t, decodeMeta(map[string]any{"claims": []any{map[string]any{"text": "b", "offset": 4.0}}}, "claims", &got))
	assert.Equal(t, []claimVerdict{{Text: "b", Offset: 4}}, got)
	assert.False(t, decodeMeta(map[string]any{"claims": "not a list"}, "claims", &got))
	assert.False(t, decodeMeta(map[string]any{}, "claims", &got))
	assert.False(t, decodeMeta(nil, "claims", &got))
}

func TestCostAxis(t *testing.T) {
	variant := func(cost, billed float64) eval.VariantSummary {
		return eval.VariantSummary{Name: "v", Scores: map[string]stats.Summary{
			"fact_recall":   {Mean: 0.5, N: 3},
			"cost_usd":      {Mean: cost, N: 3},
			"billed_tokens": {Mean: billed, N: 3},
		}}
	}
	priced := eval.Summary{Variants: []eval.VariantSummary{variant(0.02, 1000), variant(0, 900)}}
	assert.Equal(t, "cost_usd", costAxis(priced, "fact_recall"))
	free := eval.Summary{Variants: []eval.VariantSummary{variant(0, 1000), variant(0, 900)}}
	assert.Equal(t, "billed_tokens", costAxis(free, "fact_recall"), "offline engines cost $0: plot tokens instead")
}
