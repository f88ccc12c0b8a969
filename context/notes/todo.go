package notes

import "strings"

// Item is one entry of a checklist kept in the notes, written in Markdown
// task-list form: "- [ ] open item" or "- [x] done item".
type Item struct {
	// Text is the item without its checkbox.
	Text string `json:"text"`
	// Done is true for a checked box ("[x]" or "[X]").
	Done bool `json:"done"`
}

// String renders the item as a Markdown task-list line.
func (it Item) String() string {
	if it.Done {
		return "- [x] " + it.Text
	}
	return "- [ ] " + it.Text
}

// Checklist renders items as Markdown task-list lines, one per item, for
// Write. Todo reads them back.
func Checklist(items ...Item) string {
	lines := make([]string, len(items))
	for i, it := range items {
		lines[i] = it.String()
	}
	return strings.Join(lines, "\n")
}

// Todo returns the checklist items of the notes, in order: every line of
// the form "- [ ] text", "- [x] text" or "* [ ] text" (leading spaces
// allowed). Other lines are ignored.
func (n *Notes) Todo() []Item {
	var items []Item
	for line := range strings.Lines(n.Read()) {
		if it, ok := parseItem(line); ok {
			items = append(items, it)
		}
	}
	return items
}

// Pending returns the checklist items not yet done, in order.
func (n *Notes) Pending() []Item {
	var open []Item
	for _, it := range n.Todo() {
		if !it.Done {
			open = append(open, it)
		}
	}
	return open
}

func parseItem(line string) (Item, bool) {
	s := strings.TrimSpace(line)
	if len(s) < 5 || (s[0] != '-' && s[0] != '*') || s[1] != ' ' || s[2] != '[' || s[4] != ']' {
		return Item{}, false
	}
	var done bool
	switch s[3] {
	case ' ':
	case 'x', 'X':
		done = true
	default:
		return Item{}, false
	}
	return Item{Text: strings.TrimSpace(s[5:]), Done: done}, true
}
