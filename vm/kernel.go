package vm

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// RISC-V Linux "Image" header (Documentation/riscv/boot-image-header.rst):
// code0, code1, text_offset (8 bytes at 8), image_size (8 at 16), flags,
// version, reserved, magic "RISCV\0\0\0" at 48 and magic2 "RSC\x05" at 56.
const (
	imageHeaderSize = 64
	imageMagic      = "RISCV\x00\x00\x00"
	imageMagic2     = "RSC\x05"
)

// ErrBadKernel wraps every reason a kernel image is refused.
var ErrBadKernel = errors.New("bad kernel image")

// KernelImage is a parsed RISC-V Linux Image.
type KernelImage struct {
	TextOffset uint64 // load offset from the start of RAM (2 MiB on RV64)
	Size       uint64 // bytes the kernel occupies once loaded (incl. bss)
	Data       []byte
}

// IsImage reports whether data has the RISC-V Image header magic.
func IsImage(data []byte) bool {
	return len(data) >= imageHeaderSize && string(data[48:56]) == imageMagic
}

// ParseImage validates a RISC-V Linux Image header.
func ParseImage(data []byte) (*KernelImage, error) {
	if !IsImage(data) {
		return nil, fmt.Errorf("%w: no RISC-V Image magic", ErrBadKernel)
	}
	k := &KernelImage{
		TextOffset: binary.LittleEndian.Uint64(data[8:]),
		Size:       binary.LittleEndian.Uint64(data[16:]),
		Data:       data,
	}
	if k.Size == 0 { // very old images: no size field
		k.Size = uint64(len(data))
	}
	if k.Size < uint64(len(data)) {
		return nil, fmt.Errorf("%w: image_size %d is smaller than the file (%d bytes)", ErrBadKernel, k.Size, len(data))
	}
	if k.TextOffset%4096 != 0 || k.TextOffset > 1<<30 {
		return nil, fmt.Errorf("%w: text_offset %#x", ErrBadKernel, k.TextOffset)
	}
	return k, nil
}
