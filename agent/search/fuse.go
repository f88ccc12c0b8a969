package search

// rrfK is the constant of reciprocal rank fusion (Cormack, Clarke and
// Büttcher 2009): a passage scores the sum of 1/(rrfK+rank) over the
// rankings it appears in, rank counting from 1.
const rrfK = 60

// fuse merges rankings by reciprocal rank fusion. The result is sorted
// by fused score, highest first; ties go to the smaller key, so the
// order is deterministic. Each ranking must be best first and list a key
// at most once.
func fuse(rankings ...[]scored) []scored {
	acc := map[Key]float64{}
	var order []Key
	for _, r := range rankings {
		for i, s := range r {
			if _, ok := acc[s.key]; !ok {
				order = append(order, s.key)
			}
			acc[s.key] += 1.0 / float64(rrfK+i+1)
		}
	}
	out := make([]scored, len(order))
	for i, k := range order {
		out[i] = scored{key: k, score: acc[k]}
	}
	sortScored(out)
	return out
}
