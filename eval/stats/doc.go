// Package stats holds the pure statistics used by the evaluation harness:
// means and standard errors of scores, clustered bootstrap confidence
// intervals, epoch reducers (mean, median, max, mode, pass@k), paired
// comparisons between two runs with permutation p-values, and agreement
// between judges (Cohen's kappa, Krippendorff's alpha).
//
// Every function is deterministic: randomised procedures draw from a PCG
// generator seeded by [BootstrapOptions.Seed], so the same inputs always give
// the same outputs. Nothing here performs I/O or keeps state.
//
// Scores are [Observation] values. Their Cluster is the sample ID, so the
// several epochs of one sample form a cluster; uncertainty is computed by
// resampling clusters, not observations, because epochs of one sample are
// correlated.
//
// A short example:
//
//	obs := []stats.Observation{
//		{Cluster: "q1", Value: 1}, {Cluster: "q1", Value: 0},
//		{Cluster: "q2", Value: 1}, {Cluster: "q2", Value: 1},
//	}
//	s := stats.Summarize(obs, stats.BootstrapOptions{})
//	fmt.Printf("%.2f ± %.2f\n", s.Mean, s.StdErr)
//
//	perSample := stats.Reduce(obs, stats.PassAtK(1, 1))
//	cmp, err := stats.ComparePaired(baseline, candidate, stats.BootstrapOptions{})
package stats
