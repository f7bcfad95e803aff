package virtio

import "strata/riscv"

// The machine hands its bus to the transports and maps them on it.
var (
	_ Memory       = (*riscv.Bus)(nil)
	_ riscv.Device = (*MMIO)(nil)
)
