package main

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseStats(t *testing.T) {
	tests := []struct {
		name    string
		stderr  string
		want    stats
		wantErr bool
	}{
		{
			name:   "runner line",
			stderr: "strata: instructions=405107746 seconds=2.903 mips=139.5\n",
			want:   stats{405107746, 2.903, 139.5},
		},
		{
			name:   "among other output, last one wins",
			stderr: "warning: foo\nstrata: instructions=1 seconds=0.1 mips=0.0\nnoise\n  strata: instructions=42 seconds=1.5 mips=28  \n",
			want:   stats{42, 1.5, 28},
		},
		{
			name:   "extra and reordered fields",
			stderr: "strata: mips=2.5 harts=1 instructions=5000000 seconds=2\n",
			want:   stats{5000000, 2, 2.5},
		},
		{name: "missing", stderr: "strata: exit status 3\n", wantErr: true},
		{name: "empty", stderr: "", wantErr: true},
		{name: "bad number", stderr: "strata: instructions=12x seconds=1 mips=1\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStats(tt.stderr)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseChecksum(t *testing.T) {
	tests := []struct {
		out     string
		want    string
		wantErr bool
	}{
		{"bench=integer\nchecksum=0x8081210be8468197\n", "0x8081210be8468197", false},
		{"bench=x\r\nchecksum=0xABCDEF\r\n", "0xabcdef", false},
		{"checksum=0x1", "0x1", false},
		{"bench=x\n", "", true},
		{"checksum=0x1\nchecksum=0x2\n", "", true},
		{"my checksum=0x1\n", "", true},
	}
	for _, tt := range tests {
		got, err := parseChecksum(tt.out)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseChecksum(%q) = %q, %v; want %q, err %v", tt.out, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseInstret(t *testing.T) {
	n, err := parseInstret("bench=x\nchecksum=0x1\ninstret=305660090\n")
	if err != nil || n != 305660090 {
		t.Fatalf("got %d, %v", n, err)
	}
	if _, err := parseInstret("checksum=0x1\n"); err == nil {
		t.Fatal("want error without instret line")
	}
}

func TestRowDerived(t *testing.T) {
	r := row{Name: "integer", Insns: 400_000_000, StrataS: 2, QEMUS: 0.5}
	if got := r.strataMIPS(); got != 200 {
		t.Errorf("strata MIPS = %v", got)
	}
	if got := r.qemuMIPS(); got != 800 {
		t.Errorf("QEMU MIPS = %v", got)
	}
	if got := r.ratio(); got != 0.25 {
		t.Errorf("ratio = %v", got)
	}
	if !math.IsNaN((row{Insns: 1, QEMUS: 1}).ratio()) {
		t.Error("ratio without a strata time should be NaN")
	}
}

func TestFormatTable(t *testing.T) {
	tests := []struct {
		name string
		rows []row
		want string
	}{
		{
			name: "two rows with geomean",
			rows: []row{
				{Name: "integer", Insns: 400_000_000, StrataS: 2, QEMUS: 0.5},
				{Name: "float", Insns: 300_000_000, StrataS: 4, QEMUS: 4},
			},
			want: `| workload | guest insns | strata s | strata MIPS | QEMU s | QEMU MIPS | strata/QEMU speed |
|---|--:|--:|--:|--:|--:|--:|
| integer | 400.00M | 2.000 | 200 | 0.500 | 800 | 0.250× |
| float | 300.00M | 4.000 | 75.0 | 4.000 | 75.0 | 1.000× |
| **geomean** | | | 122 | | 245 | 0.500× |
`,
		},
		{
			name: "QEMU only, single row, no geomean",
			rows: []row{{Name: "memory", Insns: 305_660_090, QEMUS: 2.5}},
			want: `| workload | guest insns | strata s | strata MIPS | QEMU s | QEMU MIPS | strata/QEMU speed |
|---|--:|--:|--:|--:|--:|--:|
| memory | 305.66M | – | – | 2.500 | 122 | – |
`,
		},
		{
			name: "unknown instruction count",
			rows: []row{{Name: "x", StrataS: 1, QEMUS: 2}},
			want: `| workload | guest insns | strata s | strata MIPS | QEMU s | QEMU MIPS | strata/QEMU speed |
|---|--:|--:|--:|--:|--:|--:|
| x | – | 1.000 | – | 2.000 | – | 2.000× |
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := formatTable(tt.rows); got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestFormatReport(t *testing.T) {
	m := meta{
		Date:     time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC),
		CPU:      "Test CPU",
		CPUs:     2,
		QEMU:     "QEMU emulator version 7.2.22",
		Strata:   "bin/strata @ abc123",
		Runs:     3,
		Scale:    1,
		Overhead: "startup overhead: x",
		Load:     "0.50 at start, 1.00 at end",
		Notes:    []string{"a note"},
	}
	got := formatReport(m, []row{{Name: "integer", Insns: 1e6, StrataS: 1, QEMUS: 1}})
	for _, want := range []string{
		"- date: 2026-01-02 03:04 UTC\n",
		"- host CPU: Test CPU (2 logical CPUs); 1-min load average 0.50 at start, 1.00 at end\n",
		"- QEMU: QEMU emulator version 7.2.22\n",
		"- strata: bin/strata @ abc123\n",
		"- runs: 3 each",
		"- startup overhead: x\n",
		"| integer | 1.00M | 1.000 | 1.0 | 1.000 | 1.0 | 1.000× |\n",
		"\na note\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
}

func TestSelectWorkloads(t *testing.T) {
	all, err := selectWorkloads("")
	if err != nil || len(all) != len(workloads) {
		t.Fatalf("default selection: %v, %v", all, err)
	}
	sel, err := selectWorkloads("float, integer")
	if err != nil || len(sel) != 2 || sel[0].Name != "float" || sel[1].Name != "integer" {
		t.Fatalf("got %v, %v", sel, err)
	}
	if _, err := selectWorkloads("nope"); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("want an error naming the unknown workload, got %v", err)
	}
}
