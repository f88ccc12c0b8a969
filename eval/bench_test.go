package eval_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deepctx/deepctx/agent/research/verify"
	"github.com/deepctx/deepctx/eval"
	"github.com/deepctx/deepctx/eval/scorers"
)

// BenchmarkHarnessOverheadPerSample measures what the harness itself
// costs per sample: the runner, every offline scorer (claim splitting and
// citation verification included) and the crash-safe log write, with a
// system under test that returns a canned 20-claim report at once.
func BenchmarkHarnessOverheadPerSample(b *testing.B) {
	passages := map[string]string{}
	var report strings.Builder
	report.WriteString("# Report\n\n")
	var sources []eval.Source
	for i := range 20 {
		key := fmt.Sprintf("doc%d#0", i)
		passages[key] = fmt.Sprintf("Passage %d says that the widget number %d synchronizes with the gadget before it returns.", i, i)
		fmt.Fprintf(&report, "The widget number %d synchronizes with the gadget before it returns [%d].\n", i, i+1)
		sources = append(sources, eval.Source{N: i + 1, DocID: fmt.Sprintf("doc%d", i), Chunk: 0})
	}
	report.WriteString("\n## Sources\n")
	out := eval.Output{Report: report.String(), Sources: sources}
	resolver := verify.ResolverFunc(func(ctx context.Context, docID string, chunk int) (string, error) {
		if p, ok := passages[fmt.Sprintf("%s#%d", docID, chunk)]; ok {
			return p, nil
		}
		return "", fmt.Errorf("no passage %s#%d", docID, chunk)
	})
	suite := testSuite(b.N)
	suite.Variants = suite.Variants[:1]
	sys := eval.SystemFunc(func(ctx context.Context, t eval.Task) (eval.Output, error) { return out, nil })
	b.ResetTimer()
	res, err := eval.Run(context.Background(), suite, eval.Options{
		System: sys, Dir: filepath.Join(b.TempDir(), "log"), Scorers: scorers.Offline(scorers.Options{}),
		Corpus: resolver, MaxParallel: 1,
	})
	if err != nil {
		b.Fatal(err)
	}
	if len(res.Records) != b.N {
		b.Fatalf("%d records for %d samples", len(res.Records), b.N)
	}
}
