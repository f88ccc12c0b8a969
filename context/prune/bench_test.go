package prune_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/context/prune"
	"github.com/deepctx/deepctx/context/window"
)

// BenchmarkApply measures one Prepare of a 200k-token view holding 300
// tool results (1 in 10 a repeat of an earlier one) through each policy;
// "baseline" is Prepare without policies (render, count, pair check), to
// subtract. Every iteration starts from a fresh transcript, so the policy
// fires each time.
func BenchmarkApply(b *testing.B) {
	c := newConv("bench.")
	for i := range 300 {
		id := fmt.Sprintf("c%03d", i)
		content := text(id, 650)
		if i%10 == 9 {
			content = text(fmt.Sprintf("c%03d", i-5), 650)
		}
		c.use(id, "search", content)
	}
	full := tok.CountMessages(c.msgs, nil)
	require.InDelta(b, 200_000, full, 10_000)
	limit := 1_000_000
	cases := []struct {
		name string
		pol  []window.Policy
	}{
		{"baseline", nil},
		{"prune/not-triggered", []window.Policy{prune.New(prune.Config{})}},
		{"prune/anthropic-defaults", []window.Policy{prune.New(prune.Config{Trigger: prune.Trigger{Tokens: 100_000}})}},
		{"prune/clear-inputs", []window.Policy{prune.New(prune.Config{Trigger: prune.Trigger{Tokens: 100_000}, ClearToolInputs: true})}},
		{"prune/clear-all", []window.Policy{prune.New(prune.Config{Trigger: prune.Trigger{Tokens: 1}})}},
		{"dedupe", []window.Policy{prune.NewDedupe(prune.DedupeConfig{})}},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			m := &window.Manager{Tokenizer: tok, Policies: bc.pol}
			b.ReportAllocs()
			var freed int
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				tr, err := window.NewTranscript(c.msgs...)
				require.NoError(b, err)
				b.StartTimer()
				_, rep, err := m.Prepare(context.Background(), tr, nil, window.Budget{Window: limit})
				if err != nil {
					b.Fatal(err)
				}
				freed = rep.TokensFreed
			}
			b.ReportMetric(float64(freed), "tokens-freed")
		})
	}
}
