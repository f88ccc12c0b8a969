package scorers

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/deepctx/deepctx/agent/research/verify"
	"github.com/deepctx/deepctx/eval"
)

// facts returns private copies of the sample's key facts: Fact.Found
// caches its compiled regular expression in the fact, and samples are
// shared between concurrent scorers.
func facts(s eval.Sample) []eval.Fact { return slices.Clone(s.KeyFacts) }

// recall is the weighted share of facts for which found is true, with the
// facts found and missed (their String()).
func recall(fs []eval.Fact, found func(i int, f *eval.Fact) bool) (value float64, hit, miss []string) {
	var got, total float64
	hit, miss = []string{}, []string{}
	for i := range fs {
		f := &fs[i]
		w := f.FactWeight()
		total += w
		if found(i, f) {
			got += w
			hit = append(hit, f.String())
		} else {
			miss = append(miss, f.String())
		}
	}
	if total == 0 {
		return 0, hit, miss
	}
	return got / total, hit, miss
}

// scoreFactRecall is fact_recall: the weighted share of the sample's key
// facts found anywhere in the report's body (Sources list excluded).
// Metadata: "found" and "missed" facts; "rounds", the recall of each
// draft in Output.Drafts, when there are drafts. Skipped without key
// facts.
func scoreFactRecall(ctx context.Context, s eval.Sample, r eval.Result) (eval.Score, error) {
	if len(s.KeyFacts) == 0 {
		return eval.Score{}, eval.Skip("the sample has no key facts")
	}
	fs := facts(s)
	body := Body(r.Output.Report)
	v, hit, miss := recall(fs, func(_ int, f *eval.Fact) bool { return foundIn(f, body) })
	meta := map[string]any{"found": hit, "missed": miss}
	if len(r.Output.Drafts) > 0 {
		rounds := make([]float64, len(r.Output.Drafts))
		for i, d := range r.Output.Drafts {
			if err := ctx.Err(); err != nil {
				return eval.Score{}, err
			}
			b := Body(d.Report)
			rounds[i], _, _ = recall(fs, func(_ int, f *eval.Fact) bool { return foundIn(f, b) })
		}
		meta["rounds"] = rounds
	}
	return eval.Score{
		Value:       v,
		Explanation: fmt.Sprintf("%d of %d key facts found in the report%s", len(hit), len(fs), weighted(fs, v)),
		Metadata:    meta,
	}, nil
}

// scoreSupportedFactRecall is supported_fact_recall: the weighted share
// of the sample's key facts that occur in a claim of the report's body
// citing a passage that resolves in the corpus (Result.Corpus) and itself
// contains the fact (Fact.Found on the passage). A fact stated only in
// uncited text, or cited to a passage that does not state it, does not
// count. Metadata: "supported" facts with "evidence" (fact → the citation
// "[n] doc#chunk" that supports it) and "missed" facts. Skipped without
// key facts; fails without a corpus.
func scoreSupportedFactRecall(ctx context.Context, s eval.Sample, r eval.Result) (eval.Score, error) {
	if len(s.KeyFacts) == 0 {
		return eval.Score{}, eval.Skip("the sample has no key facts")
	}
	if r.Corpus == nil {
		return eval.Score{}, errNoCorpus
	}
	fs := facts(s)
	byN := map[int]verify.Citation{}
	for _, c := range citationsOf(r.Output.Sources) {
		if _, dup := byN[c.N]; !dup {
			byN[c.N] = c
		}
	}
	texts := map[int]*string{} // citation number → passage text; nil when it does not resolve
	evidence := map[string]string{}
	supported := make([]bool, len(fs))
	for _, c := range verify.Claims(r.Output.Report) {
		for _, n := range c.Cites {
			cite, ok := byN[n]
			if !ok {
				continue
			}
			text, ok := texts[n]
			if !ok {
				t, err := r.Corpus.Passage(ctx, cite.DocID, cite.Chunk)
				if cerr := ctx.Err(); cerr != nil {
					return eval.Score{}, cerr
				}
				if err == nil {
					text = &t
				}
				texts[n] = text
			}
			if text == nil {
				continue
			}
			for i := range fs {
				if !supported[i] && foundIn(&fs[i], c.Text) && fs[i].Found(*text) {
					supported[i] = true
					evidence[fs[i].String()] = fmt.Sprintf("[%d] %s#%d", n, cite.DocID, cite.Chunk)
				}
			}
		}
	}
	v, hit, miss := recall(fs, func(i int, _ *eval.Fact) bool { return supported[i] })
	return eval.Score{
		Value:       v,
		Explanation: fmt.Sprintf("%d of %d key facts stated with a citation whose passage states them%s", len(hit), len(fs), weighted(fs, v)),
		Metadata:    map[string]any{"supported": hit, "missed": miss, "evidence": evidence},
	}, nil
}

// weighted notes the weighted recall v when the facts' weights differ.
func weighted(fs []eval.Fact, v float64) string {
	for _, f := range fs {
		if f.FactWeight() != fs[0].FactWeight() {
			return fmt.Sprintf(" (weighted recall %.2f)", v)
		}
	}
	return ""
}

// emphasis removes Markdown emphasis and code marks, which a writer puts
// inside phrases ("a send **happens before** the receive").
var emphasis = strings.NewReplacer("**", "", "__", "", "*", "", "`", "")

// foundIn reports whether the fact occurs in Markdown text, as written or
// with its emphasis and code marks removed.
func foundIn(f *eval.Fact, text string) bool {
	return f.Found(text) || f.Found(emphasis.Replace(text))
}
