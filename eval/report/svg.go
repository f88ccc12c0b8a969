package report

import (
	"fmt"
	"html/template"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/deepctx/deepctx/eval"
	"github.com/deepctx/deepctx/eval/stats"
)

// The charts are inline SVG written by hand, in the style of the context
// benchmark's plots: white background, light grid, sans-serif 12px
// labels, one colour per variant. Every piece of text in them is
// escaped. They carry no xmlns: inline SVG in HTML needs none.

// palette colours the variants, in order.
var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#1b1b1b"}

func colorOf(i int) string { return palette[i%len(palette)] }

// esc escapes text for SVG (XML) and HTML alike.
func esc(s string) string { return template.HTMLEscapeString(s) }

type svgBuilder struct {
	strings.Builder
}

func (b *svgBuilder) f(format string, args ...any) { fmt.Fprintf(&b.Builder, format, args...) }

func (b *svgBuilder) open(width, height int, label string) {
	b.f(`<svg class="chart" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12" role="img" aria-label="%s">`+"\n",
		width, height, width, height, esc(label))
	b.f(`<rect width="100%%" height="100%%" fill="white"/>` + "\n")
}

func (b *svgBuilder) close() template.HTML {
	b.WriteString("</svg>\n")
	return template.HTML(b.String()) // every piece of text was escaped
}

// niceMax returns a readable axis maximum at or above v whose quarters
// are round numbers: four times 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × 10^k.
func niceMax(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	q := v / 4
	p := math.Pow(10, math.Floor(math.Log10(q)))
	for _, m := range []float64{1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if m*p >= q*(1-1e-9) {
			return 4 * m * p
		}
	}
	return 40 * p
}

// tick formats an axis value in unit u, briefly.
func tick(u Unit, v float64) string {
	switch u {
	case UnitTokens, UnitCount:
		switch a := math.Abs(v); {
		case a >= 1e6:
			return trimZero(fmt.Sprintf("%.1f", v/1e6)) + "M"
		case a >= 1e3:
			return trimZero(fmt.Sprintf("%.1f", v/1e3)) + "k"
		}
		return trimZero(fmt.Sprintf("%.1f", v))
	case UnitUSD:
		return "$" + trimZero(fmt.Sprintf("%.4f", v))
	case UnitSeconds:
		return trimZero(fmt.Sprintf("%.1f", v)) + " s"
	}
	return trimZero(fmt.Sprintf("%.2f", v))
}

func trimZero(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// legend draws the variants' colours at (x, y), one per line: the
// variants of s at indices idx, or all of them when idx is nil.
func (b *svgBuilder) legend(x, y int, s eval.Summary, idx []int) {
	if idx == nil {
		for i := range s.Variants {
			idx = append(idx, i)
		}
	}
	for k, i := range idx {
		ly := y + 18*k
		b.f(`<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n", x, ly-10, colorOf(i), x+18, ly, esc(s.Variants[i].Name))
	}
}

// barChart plots the mean of each scorer per variant with its 95% CI as
// an error bar, grouped by scorer. It returns "" when no scorer has data.
func barChart(s eval.Summary, scorers []string) template.HTML {
	var names []string
	top := 0.0
	for _, name := range scorers {
		has := false
		for _, v := range s.Variants {
			if st, ok := v.Scores[name]; ok && st.N > 0 {
				has = true
				top = max(top, st.CI[1], st.Mean)
			}
		}
		if has && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	if len(names) == 0 || len(s.Variants) == 0 {
		return ""
	}
	u := UnitOf(names[0])
	yMax := 1.0
	if top > 1 || u != UnitShare {
		yMax = niceMax(top)
	}
	const height, left, right, topPad, bottom = 320, 60, 170, 36, 44
	group := max(110, 26*len(s.Variants)+30)
	for _, name := range names {
		group = max(group, 7*len(name)+20) // room for the label at 12px
	}
	width := left + right + group*len(names)
	py := func(v float64) float64 {
		return float64(height-bottom) - math.Max(0, math.Min(v, yMax))/yMax*float64(height-topPad-bottom)
	}
	var b svgBuilder
	b.open(width, height, "Quality scores per variant with 95% confidence intervals")
	b.f(`<text x="%d" y="22" font-size="15">Quality per variant: mean and 95%% CI</text>`+"\n", left)
	for k := 0; k <= 4; k++ {
		v := yMax * float64(k) / 4
		y := py(v)
		b.f(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n",
			left, y, width-right, y, left-6, y+4, esc(tick(u, v)))
	}
	bw := float64(group-30) / float64(len(s.Variants))
	for g, name := range names {
		x0 := float64(left + group*g + 15)
		b.f(`<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", x0+float64(group-30)/2, height-bottom+18, esc(name))
		for i, v := range s.Variants {
			st, ok := v.Scores[name]
			if !ok || st.N == 0 {
				continue
			}
			x := x0 + bw*float64(i)
			y := py(st.Mean)
			b.f(`<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>`+"\n",
				x+2, y, bw-4, float64(height-bottom)-y, colorOf(i), esc(v.Name+" "+name+": "+FormatScore(name, st)))
			cx := x + bw/2
			lo, hi := py(st.CI[0]), py(st.CI[1])
			b.f(`<path class="errorbar" d="M%.1f %.1fV%.1fM%.1f %.1fH%.1fM%.1f %.1fH%.1f" stroke="#000" stroke-width="1.5" fill="none"/>`+"\n",
				cx, lo, hi, cx-5, lo, cx+5, cx-5, hi, cx+5)
		}
	}
	b.f(`<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#000"/>`+"\n", left, height-bottom, width-right, height-bottom)
	b.legend(width-right+14, topPad+14, s, nil)
	return b.close()
}

// Pareto reports which points (cost[i], quality[i]) are on the Pareto
// front: no other point costs as little or less and scores as high or
// higher while being strictly better in one of the two. Points with a
// NaN coordinate are never on it.
func Pareto(cost, quality []float64) []bool {
	n := min(len(cost), len(quality))
	out := make([]bool, n)
	for i := range n {
		if math.IsNaN(cost[i]) || math.IsNaN(quality[i]) {
			continue
		}
		out[i] = true
		for j := range n {
			if j == i || math.IsNaN(cost[j]) || math.IsNaN(quality[j]) {
				continue
			}
			if cost[j] <= cost[i] && quality[j] >= quality[i] && (cost[j] < cost[i] || quality[j] > quality[i]) {
				out[i] = false
				break
			}
		}
	}
	return out
}

// tradeoff is the cost-versus-quality view of the variants.
type tradeoff struct {
	Cost, Quality string // scorer names of the axes
	Points        []tradePoint
	Chart         template.HTML
}

type tradePoint struct {
	Variant     string
	Index       int // the variant's colour
	X, Y        stats.Summary
	Pareto      bool
	CostText    string
	QualityText string
}

// costAxis picks the cost scorer of the scatter plot: cost_usd when
// every variant with a quality value has one and some cost is not zero
// (offline engines cost nothing, which would stack every point at $0),
// else billed_tokens.
func costAxis(s eval.Summary, quality string) string {
	costOK, billedOK, seen, priced := true, true, false, false
	for _, v := range s.Variants {
		if st, ok := v.Scores[quality]; !ok || st.N == 0 {
			continue
		}
		seen = true
		st, ok := v.Scores["cost_usd"]
		if !ok || st.N == 0 {
			costOK = false
		}
		priced = priced || st.Mean > 0
		if st, ok := v.Scores["billed_tokens"]; !ok || st.N == 0 {
			billedOK = false
		}
	}
	switch {
	case !seen:
		return ""
	case costOK && (priced || !billedOK):
		return "cost_usd"
	case billedOK:
		return "billed_tokens"
	}
	return ""
}

// tradeoffOf plots mean cost per sample against mean fact_recall, with
// the Pareto front marked.
func tradeoffOf(s eval.Summary) tradeoff {
	const quality = "fact_recall"
	t := tradeoff{Quality: quality, Cost: costAxis(s, quality)}
	if t.Cost == "" {
		return t
	}
	var xs, ys []float64
	for i, v := range s.Variants {
		x, okx := v.Scores[t.Cost]
		y, oky := v.Scores[quality]
		if !okx || !oky || x.N == 0 || y.N == 0 {
			continue
		}
		t.Points = append(t.Points, tradePoint{Variant: v.Name, Index: i, X: x, Y: y,
			CostText: FormatScore(t.Cost, x), QualityText: FormatScore(quality, y)})
		xs = append(xs, x.Mean)
		ys = append(ys, y.Mean)
	}
	for i, p := range Pareto(xs, ys) {
		t.Points[i].Pareto = p
	}
	t.Chart = scatter(s, t)
	return t
}

func scatter(s eval.Summary, t tradeoff) template.HTML {
	const width, height, left, right, top, bottom = 720, 380, 70, 190, 36, 50
	u := UnitOf(t.Cost)
	xMax, yMax := 0.0, 1.0
	for _, p := range t.Points {
		xMax = max(xMax, p.X.CI[1], p.X.Mean)
		yMax = max(yMax, p.Y.CI[1], p.Y.Mean)
	}
	xMax = niceMax(xMax * 1.05)
	if yMax > 1 {
		yMax = niceMax(yMax)
	}
	px := func(v float64) float64 { return left + math.Max(0, v)/xMax*(width-left-right) }
	py := func(v float64) float64 {
		return height - bottom - math.Max(0, math.Min(v, yMax))/yMax*(height-top-bottom)
	}
	var b svgBuilder
	b.open(width, height, "Cost versus quality per variant, Pareto front marked")
	b.f(`<text x="%d" y="22" font-size="15">%s</text>`+"\n", left, esc("Cost vs quality: mean "+t.Quality+" against mean "+t.Cost+" per sample"))
	for k := 0; k <= 4; k++ {
		y := py(yMax * float64(k) / 4)
		b.f(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n",
			left, y, width-right, y, left-6, y+4, esc(tick(UnitShare, yMax*float64(k)/4)))
		x := px(xMax * float64(k) / 4)
		b.f(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#eee"/><text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n",
			x, top, x, height-bottom, x, height-bottom+16, esc(tick(u, xMax*float64(k)/4)))
	}
	b.f(`<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", (left+width-right)/2.0, height-12, esc(t.Cost+" per sample (lower is better)"))
	b.f(`<text transform="translate(16 %.1f) rotate(-90)" text-anchor="middle">%s</text>`+"\n", (top+height-bottom)/2.0, esc(t.Quality+" (higher is better)"))
	// The front, cheapest first.
	var front []tradePoint
	for _, p := range t.Points {
		if p.Pareto {
			front = append(front, p)
		}
	}
	sort.SliceStable(front, func(i, j int) bool { return front[i].X.Mean < front[j].X.Mean })
	if len(front) > 1 {
		var pts []string
		for _, p := range front {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(p.X.Mean), py(p.Y.Mean)))
		}
		b.f(`<polyline class="pareto-front" fill="none" stroke="#555" stroke-dasharray="5 4" stroke-width="1.5" points="%s"/>`+"\n", strings.Join(pts, " "))
	}
	for _, p := range t.Points {
		cx, cy := px(p.X.Mean), py(p.Y.Mean)
		c := colorOf(p.Index)
		b.f(`<path d="M%.1f %.1fH%.1fM%.1f %.1fV%.1f" stroke="%s" stroke-opacity="0.6" fill="none"/>`+"\n",
			px(p.X.CI[0]), cy, px(p.X.CI[1]), cx, py(p.Y.CI[0]), py(p.Y.CI[1]), c)
		label := p.Variant + ": " + t.Cost + " " + p.CostText + ", " + t.Quality + " " + p.QualityText
		if p.Pareto {
			label += " (Pareto front)"
			b.f(`<circle class="point pareto" cx="%.1f" cy="%.1f" r="7" fill="%s" stroke="#000" stroke-width="2"><title>%s</title></circle>`+"\n", cx, cy, c, esc(label))
		} else {
			b.f(`<circle class="point dominated" cx="%.1f" cy="%.1f" r="6" fill="white" stroke="%s" stroke-width="2"><title>%s</title></circle>`+"\n", cx, cy, c, esc(label))
		}
		b.f(`<text x="%.1f" y="%.1f">%s</text>`+"\n", cx+9, cy-8, esc(p.Variant))
	}
	idx := make([]int, len(t.Points))
	for i, p := range t.Points {
		idx[i] = p.Index
	}
	b.legend(width-right+14, top+14, s, idx)
	ly := top + 14 + 18*len(t.Points) + 10
	b.f(`<circle cx="%d" cy="%d" r="6" fill="#999" stroke="#000" stroke-width="2"/><text x="%d" y="%d">Pareto front</text>`+"\n", width-right+20, ly-4, width-right+32, ly)
	b.f(`<circle cx="%d" cy="%d" r="5" fill="white" stroke="#999" stroke-width="2"/><text x="%d" y="%d">dominated</text>`+"\n", width-right+20, ly+14, width-right+32, ly+18)
	return b.close()
}

// roundsChart plots a scorer's mean after each critique round per
// variant, with 95% CIs.
func roundsChart(s eval.Summary, scorer string) template.HTML {
	n := maxRounds(s, scorer)
	if n == 0 {
		return ""
	}
	const width, height, left, right, top, bottom = 640, 300, 60, 170, 36, 50
	yMax := 1.0
	for _, v := range s.Variants {
		for _, r := range v.Rounds[scorer] {
			yMax = max(yMax, r.CI[1])
		}
	}
	if yMax > 1 {
		yMax = niceMax(yMax)
	}
	px := func(r int) float64 {
		if n == 1 {
			return (left + width - right) / 2
		}
		return left + 20 + float64(r)/float64(n-1)*(width-left-right-40)
	}
	py := func(v float64) float64 {
		return height - bottom - math.Max(0, math.Min(v, yMax))/yMax*(height-top-bottom)
	}
	var b svgBuilder
	b.open(width, height, scorer+" per critique round")
	b.f(`<text x="%d" y="22" font-size="15">%s</text>`+"\n", left, esc(scorer+" per critique round (mean, 95% CI)"))
	for k := 0; k <= 4; k++ {
		y := py(yMax * float64(k) / 4)
		b.f(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n",
			left, y, width-right, y, left-6, y+4, esc(tick(UnitShare, yMax*float64(k)/4)))
	}
	for r := range n {
		b.f(`<text x="%.1f" y="%d" text-anchor="middle">%d</text>`+"\n", px(r), height-bottom+16, r)
	}
	b.f(`<text x="%.1f" y="%d" text-anchor="middle">round (0 = first draft)</text>`+"\n", (left+width-right)/2.0, height-12)
	for i, v := range s.Variants {
		rs := v.Rounds[scorer]
		if len(rs) == 0 {
			continue
		}
		c := colorOf(i)
		var pts []string
		for r := range n {
			st := rs[min(r, len(rs)-1)]
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(r), py(st.Mean)))
		}
		b.f(`<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", c, strings.Join(pts, " "))
		for r := range n {
			st := rs[min(r, len(rs)-1)]
			x := px(r) + float64(i-len(s.Variants)/2)*3 // spread the error bars
			b.f(`<path d="M%.1f %.1fV%.1f" stroke="%s" stroke-opacity="0.7" fill="none"/>`+"\n", x, py(st.CI[0]), py(st.CI[1]), c)
			b.f(`<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"><title>%s</title></circle>`+"\n", px(r), py(st.Mean), c,
				esc(fmt.Sprintf("%s round %d: %s", v.Name, r, FormatScore(scorer, st))))
		}
	}
	var idx []int
	for i, v := range s.Variants {
		if len(v.Rounds[scorer]) > 0 {
			idx = append(idx, i)
		}
	}
	b.legend(width-right+14, top+14, s, idx)
	return b.close()
}
