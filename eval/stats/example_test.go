package stats_test

import (
	"fmt"

	"github.com/deepctx/deepctx/eval/stats"
)

func ExampleSummarize() {
	// Two epochs of each of six samples.
	scores := map[string][2]float64{
		"q1": {1, 1}, "q2": {0, 1}, "q3": {1, 1},
		"q4": {0, 0}, "q5": {1, 0}, "q6": {1, 1},
	}
	var obs []stats.Observation
	for _, id := range []string{"q1", "q2", "q3", "q4", "q5", "q6"} {
		for _, v := range scores[id] {
			obs = append(obs, stats.Observation{Cluster: id, Value: v})
		}
	}
	s := stats.Summarize(obs, stats.BootstrapOptions{Seed: 7})
	fmt.Printf("mean %.3f stderr %.3f n %d clusters %d\n", s.Mean, s.StdErr, s.N, s.Clusters)
	fmt.Printf("95%% CI [%.3f, %.3f]\n", s.CI[0], s.CI[1])

	// Collapse epochs to one score per sample first, if the report wants
	// per-sample pass@1 rather than per-epoch accuracy.
	for _, o := range stats.Reduce(obs, stats.PassAtK(1, 1)) {
		fmt.Printf("%s=%.1f ", o.Cluster, o.Value)
	}
	fmt.Println()
	// Output:
	// mean 0.667 stderr 0.167 n 12 clusters 6
	// 95% CI [0.250, 1.000]
	// q1=1.0 q2=0.5 q3=1.0 q4=0.0 q5=0.5 q6=1.0
}

func ExampleComparePaired() {
	baseline := []stats.Observation{
		{Cluster: "q1", Value: 0.50}, {Cluster: "q2", Value: 0.60},
		{Cluster: "q3", Value: 0.40}, {Cluster: "q4", Value: 0.70},
		{Cluster: "q5", Value: 0.55}, {Cluster: "q6", Value: 0.65},
	}
	candidate := []stats.Observation{
		{Cluster: "q1", Value: 0.70}, {Cluster: "q2", Value: 0.75},
		{Cluster: "q3", Value: 0.65}, {Cluster: "q4", Value: 0.80},
		{Cluster: "q5", Value: 0.70}, {Cluster: "q6", Value: 0.90},
	}
	p, err := stats.ComparePaired(baseline, candidate, stats.BootstrapOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("diff %.3f CI [%.3f, %.3f] p %.4f n %d significant %v\n",
		p.MeanDiff, p.CI[0], p.CI[1], p.P, p.N, p.Significant)
	// Output:
	// diff 0.183 CI [0.124, 0.242] p 0.0312 n 6 significant true
}
