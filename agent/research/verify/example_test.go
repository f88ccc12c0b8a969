package verify_test

import (
	"context"
	"fmt"

	"github.com/deepctx/deepctx/agent/research/verify"
)

func Example() {
	report := `# Channels

A send on a channel happens before the corresponding receive completes [1].
Channels were invented in 1802 by a French sailor [1]. Closing a channel
wakes every receiver [2].

## Sources

1. The Go memory model (passage 4)
`
	cites := []verify.Citation{{N: 1, DocID: "memmodel", Chunk: 4}}
	corpus := verify.ResolverFunc(func(ctx context.Context, doc string, chunk int) (string, error) {
		if doc == "memmodel" && chunk == 4 {
			return "A send on a channel happens before the corresponding receive from that channel completes.", nil
		}
		return "", fmt.Errorf("no passage %s#%d", doc, chunk)
	})

	res, err := verify.Check(context.Background(), report, cites, corpus, verify.Lexical{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range res.Claims {
		fmt.Printf("%-60s %v\n", c.Claim.Text, c.Verdicts[0].Status)
	}
	acc, _ := res.CitationAccuracy()
	fmt.Printf("accuracy %.2f, effective %d, invalid %d\n", acc, res.EffectiveCitations(), res.Invalid)
	// Output:
	// A send on a channel happens before the corresponding receive completes. supported
	// Channels were invented in 1802 by a French sailor.           unsupported
	// Closing a channel wakes every receiver.                      invalid
	// accuracy 0.50, effective 1, invalid 1
}
