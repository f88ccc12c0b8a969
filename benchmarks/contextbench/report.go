package contextbench

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// WriteTable writes one Markdown table of results per trajectory length,
// with billed tokens relative to the first strategy (the reference).
func WriteTable(w io.Writer, results []Result) error {
	var b strings.Builder
	for _, group := range byLength(results) {
		ref := group[0].TotalBilled()
		fmt.Fprintf(&b, "\n### %d tool calls\n\n", group[0].Steps)
		b.WriteString("| strategy | billed input tokens | vs " + group[0].Strategy + " | peak context | requests > 128k | facts recoverable (verbatim / summary / handle / lost) | prefix stability | View CPU per turn at ≥200k history |\n")
		b.WriteString("|---|---:|---:|---:|---:|---|---:|---:|\n")
		for _, r := range group {
			saving := "—"
			switch {
			case !r.Completed():
				saving = fmt.Sprintf("stopped at step %d", len(r.Sent)+1)
			case ref > 0 && r.Strategy != group[0].Strategy:
				saving = fmt.Sprintf("%+.1f%%", 100*(r.TotalBilled()-ref)/ref)
			}
			cpu := "—"
			if r.HeavyTurnCPU > 0 {
				cpu = fmt.Sprintf("%.3f ms", float64(r.HeavyTurnCPU.Microseconds())/1000)
			}
			status := fmt.Sprintf("%.0f%% (%d / %d / %d / %d)", 100*r.Recoverable(),
				r.Facts[FactVerbatim], r.Facts[FactSummary], r.Facts[FactHandle], r.Facts[FactLost])
			if r.Err != "" {
				status += " — " + firstLine(r.Err, 160)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %d | %s | %.3f | %s |\n", r.Strategy, thousands(int(math.Round(r.TotalBilled()))),
				saving, thousands(r.Peak), r.OverWindow, status, r.PrefixStability, cpu)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// byLength groups results by trajectory length, keeping their order.
func byLength(results []Result) [][]Result {
	var groups [][]Result
	index := map[int]int{}
	for _, r := range results {
		i, ok := index[r.Steps]
		if !ok {
			i = len(groups)
			index[r.Steps] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], r)
	}
	return groups
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// palette colours the strategies' lines in the plot.
var palette = []string{"#1b1b1b", "#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2"}

// WriteSVG plots cumulative billed input tokens against step for each
// strategy of one trajectory length, as a self-contained SVG.
func WriteSVG(w io.Writer, results []Result) error {
	const width, height, left, right, top, bottom = 860, 480, 90, 190, 40, 50
	maxY, maxX := 1.0, 1
	for _, r := range results {
		maxY = math.Max(maxY, r.TotalBilled())
		maxX = max(maxX, len(r.Billed))
	}
	px := func(i int) float64 { return left + float64(i)/float64(max(1, maxX-1))*(width-left-right) }
	py := func(v float64) float64 { return height - bottom - v/maxY*(height-top-bottom) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="24" font-size="15">Cumulative billed input tokens (cache at %.0f%%), %d tool calls</text>`+"\n", left, 100*CachedInputPrice, maxX)
	for k := 0; k <= 4; k++ {
		v := maxY * float64(k) / 4
		y := py(v)
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n",
			left, y, width-right, y, left-6, y+4, shortNumber(v))
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">step</text>`+"\n", (left+width-right)/2.0, height-12)
	for k := 0; k <= 4; k++ {
		i := (maxX - 1) * k / 4
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%d</text>`+"\n", px(i), height-bottom+16, i+1)
	}
	for n, r := range results {
		color := palette[n%len(palette)]
		var pts []string
		for i, v := range r.Billed {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(i), py(v)))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", color, strings.Join(pts, " "))
		ly := top + 20 + 18*n
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="3"/><text x="%d" y="%d">%s</text>`+"\n",
			width-right+12, ly, width-right+32, ly, color, width-right+38, ly+4, r.Strategy)
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func shortNumber(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.1fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.0fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

// firstLine returns s up to its first newline, cut to n bytes.
func firstLine(s string, n int) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}
