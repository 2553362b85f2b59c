package crisis

import "testing"

func TestChooseThreshold(t *testing.T) {
	// Ten crises scored 0.10 … 0.95 and two safe messages: at a floor of
	// 0.8, eight of ten must be caught.
	tenCrises := func(rulesOn int) []heldOutScore {
		var ps []heldOutScore
		for i, s := range []float64{0.10, 0.20, 0.30, 0.40, 0.50, 0.60, 0.70, 0.80, 0.90, 0.95} {
			ps = append(ps, heldOutScore{crisis: true, score: s, rules: i == rulesOn})
		}
		return append(ps, heldOutScore{score: 0.9}, heldOutScore{score: 0.99})
	}
	tests := []struct {
		name   string
		points []heldOutScore
		floor  float64
		want   float64
	}{
		// 0.30 catches 0.30 … 0.95, eight; 0.31 only seven.
		{"floor met up to the third score", tenCrises(-1), 0.8, 0.30},
		// The rules catch 0.20's message at any threshold: 0.40 still
		// catches eight.
		{"the rules' catches count at every threshold", tenCrises(1), 0.8, 0.40},
		{"a floor of all needs the lowest score", tenCrises(-1), 1, 0.10},
		// Safe messages above the threshold do not move it: the floor is
		// of recall alone.
		{"a floor none reaches keeps the lowest step", []heldOutScore{{crisis: true, score: 0.01}}, 0.5, 0.05},
		{"no crises keeps the lowest step", []heldOutScore{{score: 0.5}}, 0.9, 0.05},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := chooseThreshold(tc.points, tc.floor); got != tc.want {
				t.Errorf("chooseThreshold = %.2f, want %.2f", got, tc.want)
			}
		})
	}
}
