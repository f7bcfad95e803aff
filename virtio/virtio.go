// Package virtio implements virtio 1.x ("modern") devices for strata's
// machines: the virtio-mmio transport (MMIO), split virtqueues (Queue,
// Chain) and the device models blk, console and rng.
//
// The package is written from the VIRTIO 1.2 specification. The guest is
// untrusted: every ring address, descriptor and index it hands over is
// validated before use, and a device that sees a malformed queue marks
// itself broken (DEVICE_NEEDS_RESET) instead of guessing. Nothing here
// panics on guest input or touches memory outside guest RAM.
//
// Locking: the transport serialises register accesses; a device model
// serialises its own queue processing. Callbacks from a device to the
// transport (interrupt, queue failure) take no transport lock, so a device
// may call them from any goroutine while holding its own lock.
package virtio

import "errors"

// Memory is guest RAM as devices see it (riscv.Bus satisfies it).
type Memory interface {
	// Slice returns the host bytes backing [pa, pa+n) if the whole range
	// lies in one RAM region.
	Slice(pa, n uint64) ([]byte, bool)
	// Invalidate must follow every device write into guest RAM, so that
	// cached decoded instructions over the written bytes are dropped.
	Invalidate(pa, n uint64)
}

// Device is one virtio device model behind a transport.
type Device interface {
	// Type is the virtio device ID: 2 blk, 3 console, 4 rng, ...
	Type() uint32
	// Features is the set of device-specific feature bits; the transport
	// adds VERSION_1, INDIRECT_DESC and EVENT_IDX.
	Features() uint64
	// NumQueues is the number of virtqueues the device has.
	NumQueues() int
	// ReadConfig reads size bytes of the device configuration space at
	// off; false makes the guest access fault.
	ReadConfig(off uint64, size int) (uint64, bool)
	// WriteConfig writes the device configuration space.
	WriteConfig(off uint64, size int, val uint64) bool
	// Activate is called when the driver sets DRIVER_OK. qs has
	// NumQueues entries (a queue the driver did not set up reports
	// Ready() == false); interrupt signals a used-buffer notification.
	// An error marks the device broken.
	Activate(qs []*Queue, mem Memory, interrupt func()) error
	// Notify is called when the guest kicks queue q; the device processes
	// the available buffers.
	Notify(q int)
	// Reset returns the device to its initial state. After Reset returns,
	// the device must not touch the queues it was activated with.
	Reset()
}

// FeatureNegotiator is implemented by devices whose behaviour depends on
// the features the driver accepted: the transport calls Negotiated with
// them right before Activate.
type FeatureNegotiator interface {
	Negotiated(features uint64)
}

// Device IDs (VIRTIO 1.2 section 5).
const (
	IDNet     = 1
	IDBlock   = 2
	IDConsole = 3
	IDRNG     = 4
	ID9P      = 9
)

// Reserved (device-independent) feature bits.
const (
	FeatureIndirectDesc = 1 << 28 // VIRTIO_F_INDIRECT_DESC
	FeatureEventIdx     = 1 << 29 // VIRTIO_F_EVENT_IDX
	FeatureVersion1     = 1 << 32 // VIRTIO_F_VERSION_1
)

// Device status bits.
const (
	StatusAcknowledge      = 1
	StatusDriver           = 2
	StatusDriverOK         = 4
	StatusFeaturesOK       = 8
	StatusDeviceNeedsReset = 64
	StatusFailed           = 128
)

// Interrupt status bits.
const (
	InterruptUsedBuffer   = 1 // a queue's used ring was updated
	InterruptConfigChange = 2 // configuration change (or the device broke)
)

// Errors reported by queue validation. They are returned wrapped with
// detail; the device is then broken until the driver resets it.
var (
	// ErrBroken is returned by Pop and Push once the device has been
	// marked as needing a reset.
	ErrBroken = errors.New("virtio: device needs reset")
	// ErrBadQueue reports a malformed ring or descriptor chain.
	ErrBadQueue = errors.New("virtio: malformed virtqueue")
)
