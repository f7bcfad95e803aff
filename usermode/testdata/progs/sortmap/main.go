// Command sortmap exercises sorting, maps, strings and big integers.
package main

import (
	"fmt"
	"math/big"
	"slices"
	"sort"
	"strings"
)

type rec struct {
	name string
	age  int
	w    float64
}

func main() {
	seed := uint32(12345)
	rnd := func() uint32 { seed = seed*1664525 + 1013904223; return seed }
	xs := make([]int, 200000)
	for i := range xs {
		xs[i] = int(rnd() % 1000000)
	}
	ys := slices.Clone(xs)
	sort.Ints(xs)
	slices.SortFunc(ys, func(a, b int) int { return b - a })
	fmt.Println("min/max", xs[0], xs[len(xs)-1], ys[0], ys[len(ys)-1], "median", xs[len(xs)/2])

	words := strings.Fields(strings.Repeat("the quick brown fox jumps over the lazy dog and then the fox sleeps ", 500))
	counts := map[string]int{}
	for i, w := range words {
		counts[w+fmt.Sprint(i%7)]++
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys[:10] {
		fmt.Printf("%s=%d ", k, counts[k])
	}
	fmt.Println(len(keys))

	m := map[int]int{}
	for i := 0; i < 300000; i++ {
		m[int(rnd()%50000)] += i
	}
	sum := 0
	for k, v := range m {
		sum += k ^ v
	}
	delete(m, 7)
	fmt.Println("map", len(m), sum)

	rs := make([]rec, 1000)
	for i := range rs {
		rs[i] = rec{fmt.Sprintf("n%04d", rnd()%5000), int(rnd() % 90), float64(rnd()%10000) / 7}
	}
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].age < rs[j].age })
	fmt.Println(rs[0], rs[500], rs[999])

	f := big.NewInt(1)
	for i := int64(2); i <= 300; i++ {
		f.Mul(f, big.NewInt(i))
	}
	s := f.String()
	fmt.Println("300! digits", len(s), s[:30], s[len(s)-80:len(s)-60])
	p, _ := new(big.Int).SetString("170141183460469231731687303715884105727", 10)
	fmt.Println("M127 prime", p.ProbablyPrime(20))
	q := new(big.Int).Exp(big.NewInt(3), big.NewInt(1000), p)
	fmt.Println("3^1000 mod M127", q)

	var sb strings.Builder
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&sb, "%x,", i*i)
	}
	fmt.Println(len(sb.String()), strings.Count(sb.String(), "a"), strings.ToUpper(sb.String()[:40]))
}
