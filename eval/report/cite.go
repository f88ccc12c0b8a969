package report

import (
	"encoding/json"
	"html/template"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// The drill-down reads scorers' metadata through these mirrors of their
// JSON shapes, so that it works alike on a Score fresh from a scorer
// (typed values) and on one read back from a log (maps and slices).

// claimVerdict is one claim of the citation_accuracy scorer's metadata
// "claims" (a []verify.ClaimVerdict), flattened for the drill-down:
// report[Offset:End] is the claim with its citation marks.
type claimVerdict struct {
	Text      string
	Offset    int
	End       int
	Citations []citationVerdict
}

// wireClaimVerdict mirrors the JSON of verify.ClaimVerdict.
type wireClaimVerdict struct {
	Claim struct {
		Text   string `json:"text"`
		Offset int    `json:"offset"`
		End    int    `json:"end"`
	} `json:"claim"`
	Verdicts []citationVerdict `json:"verdicts"`
}

// claimsOf reads the claims of a citation_accuracy score's metadata.
func claimsOf(meta map[string]any) []claimVerdict {
	var wire []wireClaimVerdict
	if meta == nil || !decodeMeta(meta, "claims", &wire) {
		return nil
	}
	out := make([]claimVerdict, len(wire))
	for i, w := range wire {
		out[i] = claimVerdict{Text: w.Claim.Text, Offset: w.Claim.Offset, End: w.Claim.End, Citations: w.Verdicts}
	}
	return out
}

type citationVerdict struct {
	N      int    `json:"n"`
	Status string `json:"status"`
	Reason string `json:"reason"`
}

// Citation statuses.
const (
	statusSupported   = "supported"
	statusUnsupported = "unsupported"
	statusInvalid     = "invalid"
)

// decodeMeta decodes meta[key] into dst through JSON and reports whether
// there was a value of dst's shape.
func decodeMeta(meta map[string]any, key string, dst any) bool {
	v, ok := meta[key]
	if !ok || v == nil {
		return false
	}
	data, err := json.Marshal(v)
	if err != nil {
		return false
	}
	return json.Unmarshal(data, dst) == nil
}

// citeRE matches a citation marker: [3] or [3, 5].
var citeRE = regexp.MustCompile(`\[(\d+(?:\s*[,;]\s*\d+)*)\]`)
var numRE = regexp.MustCompile(`\d+`)

// located is a claim found in the report: its bytes [start, end) and the
// bytes [start, stop) in which its citation markers are looked for.
type located struct {
	start, end, stop int
	claim            claimVerdict
}

// locate finds each claim in report: at [Offset, End) when that span
// lies in the report after the previous claim, else at the first
// occurrence of its text after the previous claim (a report edited after
// scoring). Claims that cannot be found or overlap an earlier one are
// left out. A claim's markers are looked for up to the end of its line or the
// next claim, whichever comes first.
func locate(report string, claims []claimVerdict) []located {
	var out []located
	from := 0
	sorted := make([]claimVerdict, len(claims))
	copy(sorted, claims)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Offset < sorted[j].Offset })
	for _, c := range sorted {
		start, end := -1, -1
		switch {
		case c.Offset >= from && c.End > c.Offset && c.End <= len(report):
			start, end = c.Offset, c.End
		case c.Text != "":
			if i := strings.Index(report[from:], c.Text); i >= 0 {
				start, end = from+i, from+i+len(c.Text)
			}
		}
		if start < 0 {
			continue
		}
		out = append(out, located{start: start, end: end, claim: c})
		from = end
	}
	for i := range out {
		stop := len(report)
		if nl := strings.IndexByte(report[out[i].end:], '\n'); nl >= 0 {
			stop = out[i].end + nl
		}
		if i+1 < len(out) {
			stop = min(stop, out[i+1].start)
		}
		out[i].stop = max(stop, out[i].end)
	}
	return out
}

// markReport returns report as escaped HTML in which each citation
// marker of a verified claim is a span of class "cite" and its status
// (supported, unsupported, invalid) with the verdict's reason as its
// title, and each claim without citations a span of class "uncited".
// Without claims it is the escaped report.
func markReport(report string, claims []claimVerdict) template.HTML {
	var b strings.Builder
	pos := 0
	for _, l := range locate(report, claims) {
		b.WriteString(esc(report[pos:l.start]))
		if len(l.claim.Citations) == 0 {
			b.WriteString(`<span class="uncited" title="claim without citation">`)
			b.WriteString(esc(report[l.start:l.end]))
			b.WriteString(`</span>`)
			b.WriteString(esc(report[l.end:l.stop]))
		} else {
			markCitations(&b, report[l.start:l.stop], l.claim.Citations)
		}
		pos = l.stop
	}
	b.WriteString(esc(report[pos:]))
	return template.HTML(b.String()) // every piece of text was escaped
}

// markCitations writes text escaped with its citation markers marked by
// the verdicts.
func markCitations(b *strings.Builder, text string, verdicts []citationVerdict) {
	pos := 0
	for _, m := range citeRE.FindAllStringSubmatchIndex(text, -1) {
		b.WriteString(esc(text[pos:m[0]]))
		marker := text[m[0]:m[1]]
		nums := numRE.FindAllStringIndex(marker, -1)
		if len(nums) == 1 {
			n, _ := strconv.Atoi(marker[nums[0][0]:nums[0][1]])
			citeSpan(b, marker, n, verdicts)
		} else {
			p := 0
			for _, nm := range nums {
				b.WriteString(esc(marker[p:nm[0]]))
				n, _ := strconv.Atoi(marker[nm[0]:nm[1]])
				citeSpan(b, marker[nm[0]:nm[1]], n, verdicts)
				p = nm[1]
			}
			b.WriteString(esc(marker[p:]))
		}
		pos = m[1]
	}
	b.WriteString(esc(text[pos:]))
}

func citeSpan(b *strings.Builder, text string, n int, verdicts []citationVerdict) {
	for _, v := range verdicts {
		if v.N != n {
			continue
		}
		class := v.Status
		switch class {
		case statusSupported, statusUnsupported, statusInvalid:
		default:
			class = "unknown"
		}
		title := v.Status
		if v.Reason != "" {
			title += ": " + v.Reason
		}
		b.WriteString(`<span class="cite ` + class + `" title="` + esc(title) + `">` + esc(text) + `</span>`)
		return
	}
	b.WriteString(esc(text))
}
