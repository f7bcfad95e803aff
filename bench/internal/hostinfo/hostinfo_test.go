package hostinfo

import (
	"math"
	"testing"
)

func TestMedian(t *testing.T) {
	for _, tt := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := Median(tt.in); got != tt.want {
			t.Errorf("Median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if !math.IsNaN(Median(nil)) {
		t.Error("Median(nil) should be NaN")
	}
}

func TestGeomean(t *testing.T) {
	if got := Geomean([]float64{1, 4}); math.Abs(got-2) > 1e-12 {
		t.Errorf("Geomean(1,4) = %v", got)
	}
	if !math.IsNaN(Geomean(nil)) || !math.IsNaN(Geomean([]float64{1, 0})) {
		t.Error("Geomean of nothing or of a zero should be NaN")
	}
}

func TestCPUModel(t *testing.T) {
	info := "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13 64-Core Processor\n"
	if got := CPUModel(info); got != "AMD EPYC 7B13 64-Core Processor" {
		t.Errorf("CPUModel = %q", got)
	}
	if got := CPUModel("processor: 0\n"); got != "unknown" {
		t.Errorf("CPUModel without a model name = %q", got)
	}
}
