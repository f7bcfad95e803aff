package softfloat

import "testing"

func TestCompare(t *testing.T) {
	cases := []struct {
		a, b        uint64
		eq, lt, le  bool
		eqFl, ordFl uint8
	}{
		{one64, one64, true, false, true, 0, 0},
		{nzero64, 0, true, false, true, 0, 0},
		{0, nzero64, true, false, true, 0, 0},
		{negOne64, one64, false, true, true, 0, 0},
		{one64, negOne64, false, false, false, 0, 0},
		{0xc000000000000000, negOne64, false, true, true, 0, 0}, // -2 < -1
		{negOne64, 0xc000000000000000, false, false, false, 0, 0},
		{ninf64, max64 | nzero64, false, true, true, 0, 0},
		{inf64, inf64, true, false, true, 0, 0},
		{minS64, 0, false, false, false, 0, 0},
		{minS64 | nzero64, 0, false, true, true, 0, 0},
		{qnanP64, one64, false, false, false, 0, nv},
		{one64, nan64, false, false, false, 0, nv},
		{nan64, nan64, false, false, false, 0, nv},
		{snan64, one64, false, false, false, nv, nv},
		{one64, nsnan64, false, false, false, nv, nv},
	}
	for _, c := range cases {
		if r, fl := F64Eq(c.a, c.b); r != c.eq || fl != c.eqFl {
			t.Errorf("F64Eq(%#x, %#x) = %v %05b", c.a, c.b, r, fl)
		}
		if r, fl := F64Lt(c.a, c.b); r != c.lt || fl != c.ordFl {
			t.Errorf("F64Lt(%#x, %#x) = %v %05b", c.a, c.b, r, fl)
		}
		if r, fl := F64Le(c.a, c.b); r != c.le || fl != c.ordFl {
			t.Errorf("F64Le(%#x, %#x) = %v %05b", c.a, c.b, r, fl)
		}
		// The same comparisons in binary32 (exact conversion of the operands).
		a32, _ := F64ToF32(c.a, RTZ)
		b32, _ := F64ToF32(c.b, RTZ)
		if c.a == snan64 || c.a == nsnan64 {
			a32 = snan32
		}
		if c.b == snan64 || c.b == nsnan64 {
			b32 = snan32
		}
		if c.a == minS64|nzero64 {
			a32 = minS32 | nzero32
		}
		if c.a == minS64 {
			a32 = minS32
		}
		if r, fl := F32Eq(a32, b32); r != c.eq || fl != c.eqFl {
			t.Errorf("F32Eq(%#x, %#x) = %v %05b", a32, b32, r, fl)
		}
		if r, fl := F32Lt(a32, b32); r != c.lt || fl != c.ordFl {
			t.Errorf("F32Lt(%#x, %#x) = %v %05b", a32, b32, r, fl)
		}
		if r, fl := F32Le(a32, b32); r != c.le || fl != c.ordFl {
			t.Errorf("F32Le(%#x, %#x) = %v %05b", a32, b32, r, fl)
		}
	}
}

func TestMinMax(t *testing.T) {
	cases := []struct {
		a, b, min, max uint64
		fl             uint8
	}{
		{nzero64, 0, nzero64, 0, 0},
		{0, nzero64, nzero64, 0, 0},
		{one64, two64, one64, two64, 0},
		{negOne64, one64, negOne64, one64, 0},
		{ninf64, inf64, ninf64, inf64, 0},
		{qnanP64, one64, one64, one64, 0},
		{one64, qnanP64, one64, one64, 0},
		{snan64, one64, one64, one64, nv},
		{negOne64, nsnan64, negOne64, negOne64, nv},
		{qnanP64, qnanP64, nan64, nan64, 0},
		{snan64, qnanP64, nan64, nan64, nv},
		{qnanP64, snan64, nan64, nan64, nv},
		{minS64 | nzero64, nzero64, minS64 | nzero64, nzero64, 0},
	}
	for _, c := range cases {
		if r, fl := F64Min(c.a, c.b); r != c.min || fl != c.fl {
			t.Errorf("F64Min(%#x, %#x) = %#x %05b", c.a, c.b, r, fl)
		}
		if r, fl := F64Max(c.a, c.b); r != c.max || fl != c.fl {
			t.Errorf("F64Max(%#x, %#x) = %#x %05b", c.a, c.b, r, fl)
		}
	}
	cases32 := []struct {
		a, b, min, max uint32
		fl             uint8
	}{
		{nzero32, 0, nzero32, 0, 0},
		{0, nzero32, nzero32, 0, 0},
		{one32, one32 | nzero32, one32 | nzero32, one32, 0},
		{qnanP32, one32, one32, one32, 0},
		{snan32, one32, one32, one32, nv},
		{qnanP32, qnanP32, F32NaN, F32NaN, 0},
		{snan32, snan32, F32NaN, F32NaN, nv},
		{ninf32, max32, ninf32, max32, 0},
	}
	for _, c := range cases32 {
		if r, fl := F32Min(c.a, c.b); r != c.min || fl != c.fl {
			t.Errorf("F32Min(%#x, %#x) = %#x %05b", c.a, c.b, r, fl)
		}
		if r, fl := F32Max(c.a, c.b); r != c.max || fl != c.fl {
			t.Errorf("F32Max(%#x, %#x) = %#x %05b", c.a, c.b, r, fl)
		}
	}
}

func TestClass(t *testing.T) {
	c64 := []struct {
		x   uint64
		bit uint
	}{
		{ninf64, 0}, {negOne64, 1}, {max64 | nzero64, 1}, {minN64 | nzero64, 1},
		{0x800fffffffffffff, 2}, {minS64 | nzero64, 2}, {nzero64, 3}, {0, 4},
		{minS64, 5}, {0x000fffffffffffff, 5}, {minN64, 6}, {one64, 6}, {max64, 6},
		{inf64, 7}, {snan64, 8}, {nsnan64, 8}, {0x7ff7ffffffffffff, 8},
		{nan64, 9}, {qnanP64, 9}, {0xfff8000000000000, 9},
	}
	for _, c := range c64 {
		if got := F64Class(c.x); got != 1<<c.bit {
			t.Errorf("F64Class(%#x) = %#x, want %#x", c.x, got, 1<<c.bit)
		}
	}
	c32 := []struct {
		x   uint32
		bit uint
	}{
		{ninf32, 0}, {one32 | nzero32, 1}, {0x807fffff, 2}, {minS32 | nzero32, 2}, {nzero32, 3},
		{0, 4}, {minS32, 5}, {0x007fffff, 5}, {minN32, 6}, {max32, 6}, {inf32, 7},
		{snan32, 8}, {0x7fbfffff, 8}, {F32NaN, 9}, {qnanP32, 9},
	}
	for _, c := range c32 {
		if got := F32Class(c.x); got != 1<<c.bit {
			t.Errorf("F32Class(%#x) = %#x, want %#x", c.x, got, 1<<c.bit)
		}
	}
}
