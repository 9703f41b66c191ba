/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * udrv_stub user API: DMA buffers through the control device
 * /dev/udrv/<pci-address> (one per PCI function bound to udrv_stub).
 *
 * Needs only <linux/types.h> and <linux/ioctl.h>; usable from C and C++.
 *
 * Every ioctl takes a pointer to a struct whose first member is
 * "__u32 argsz", which the caller sets to sizeof() the struct it was built
 * with.  That is how the structs are versioned (the ioctl numbers carry no
 * size, as with VFIO): a later version only appends members, and
 *   argsz < the size of the first version     -> EINVAL
 *   argsz > the size the kernel knows          -> accepted if every extra
 *                                                 byte is zero, else E2BIG
 *                                                 (also E2BIG above 4096)
 * The kernel writes back only the members it knows.
 *
 * Buffers are dma-buf file descriptors (O_RDWR, close-on-exec):
 *   mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off)
 *       maps [off, off + len) of the buffer (page-aligned off; the range
 *       must lie inside the buffer, MAP_PRIVATE is refused: EINVAL);
 *   ioctl(fd, DMA_BUF_IOCTL_SYNC, ...) (<linux/dma-buf.h>) brackets CPU
 *       access to a STREAMING buffer: DMA_BUF_SYNC_START before the CPU
 *       touches data the device wrote, DMA_BUF_SYNC_END before the device
 *       reads what the CPU wrote.  A no-op for COHERENT buffers and on
 *       cache-coherent machines, but portable code always does it;
 *   a STREAMING buffer's fd can be passed to another driver that imports
 *       dma-bufs (a COHERENT one cannot: EOPNOTSUPP).
 *
 * Lifetime.  A buffer's memory does not go when its last fd and mapping
 * do, but when the device can no longer write to it:
 *   - The device masters DMA (and MSI) only with bus mastering on, which
 *     the stub turns on when /dev/uioN is first opened and off at its last
 *     close.
 *   - A buffer released (last fd closed, last mapping gone) while the
 *     device is not quiet is quarantined: memory and bus address stay
 *     allocated, so a transfer still in flight, e.g. of a driver that was
 *     killed, lands there and nowhere else.  It counts against
 *     max_pinned_mb (sysfs .../udrv_stub/dma_quarantined, dma_pinned_kb).
 *   - The device becomes quiet, and the quarantine is freed, when the stub
 *     quiesces it: on the last close of /dev/uioN (or of the control
 *     device, /dev/uioN being closed), on QUIESCE, and when the device is
 *     unbound.  Quiescing clears bus mastering, waits for pending
 *     transactions and resets the function if it has a reset method;
 *     if not, it is quiet once mastering has stayed off for the quiesce_ms
 *     module parameter (default 1 s; after a last close this runs in the
 *     background and is cancelled if /dev/uioN is opened again first).
 *   - A buffer released while the device is quiet is freed at once.
 *   - Unbinding takes every buffer away: user mappings are revoked (an
 *     access raises SIGBUS), mmap() and DMA_BUF_IOCTL_SYNC fail with
 *     ENODEV, the memory is freed; the fds stay valid until closed.
 * So a driver that frees buffers while its device runs gets their memory
 * back only at the next quiesce: call QUIESCE (it stops the device for a
 * moment) or close /dev/uioN.
 */
#ifndef _UAPI_UDRV_STUB_H
#define _UAPI_UDRV_STUB_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define UDRV_STUB_IOCTL_TYPE		0xB8

/* Smallest and largest DMA address width SET_DMA_MASK accepts. */
#define UDRV_STUB_DMA_BITS_MIN		24
#define UDRV_STUB_DMA_BITS_MAX		64

/* dma_addr of a buffer that is not one contiguous range in bus space. */
#define UDRV_STUB_DMA_ADDR_NONE		(~(__u64)0)

/**
 * struct udrv_stub_dma_mask - GET_DMA_MASK / SET_DMA_MASK argument
 * @argsz: sizeof(struct udrv_stub_dma_mask)
 * @bits: DMA address width: GET returns the width in force (set at probe
 *        by the dma_bits module parameter), SET requests one
 *        (UDRV_STUB_DMA_BITS_MIN..MAX)
 *
 * SET fails with EBUSY while any buffer allocated on this device exists,
 * EINVAL for a width out of range, EIO if the platform cannot do it.
 * The mask covers both the coherent and the streaming allocations.
 */
struct udrv_stub_dma_mask {
	__u32 argsz;
	__u32 bits;
};

/**
 * struct udrv_stub_alloc - ALLOC_COHERENT / ALLOC_STREAMING argument
 * @argsz: sizeof(struct udrv_stub_alloc)
 * @flags: in: must be 0 (none defined yet)
 * @size: in: bytes wanted (> 0; rounded up to whole pages; at most the
 *        max_buffer_mb module parameter, default 64 MiB);
 *        out: the rounded size, the size of the dma-buf
 * @dma_addr: out: bus address (IOVA behind an IOMMU) of byte 0 if the
 *            buffer is one contiguous range for the device
 *            (@nr_segments == 1, always so far), else
 *            UDRV_STUB_DMA_ADDR_NONE
 * @fd: out: the dma-buf file descriptor
 * @nr_segments: out: number of contiguous bus-address ranges (1 so far);
 *               GET_SEGMENTS lists them
 *
 * Errors: EINVAL (size 0, flags), E2BIG (size over the max_buffer_mb
 * limit), ENOSPC (the device would hold more than the max_pinned_mb module
 * parameter, default 256 MiB, of live and quarantined buffers: free
 * buffers and QUIESCE), ENOMEM (no memory the device can reach, or size
 * beyond the DMA mask), EMFILE, ENODEV (device unbound).  The memory is
 * zeroed.  Both kinds are one contiguous range for the device.
 */
struct udrv_stub_alloc {
	__u32 argsz;
	__u32 flags;
	__u64 size;
	__u64 dma_addr;
	__s32 fd;
	__u32 nr_segments;
};

/**
 * struct udrv_stub_segment - one contiguous range in bus space
 * @dma_addr: bus address of the first byte
 * @len: length in bytes
 */
struct udrv_stub_segment {
	__u64 dma_addr;
	__u64 len;
};

/* GET_SEGMENTS flags */
/*
 * Diagnostic: instead of the buffer's own mapping, attach this device to
 * the dma-buf as an importing driver would (dma_buf_attach() +
 * dma_buf_map_attachment()), report that mapping and tear it down again.
 * The addresses are stale when the ioctl returns; this exercises the
 * exporter's map_dma_buf path.  Importer mappings are cut into pieces no
 * longer than the importer's segment limit and dma_max_mapping_size()
 * (what swiotlb can bounce at once).  Errors: EOPNOTSUPP for a COHERENT
 * buffer, ENOBUFS if the mapping needs bounce buffers (swiotlb) and the
 * pool has no room for it, or the device cannot address all of RAM and so
 * maybe not the pool either (the kernel log says which).
 */
#define UDRV_STUB_SEGMENTS_IMPORTER	0x1U

/**
 * struct udrv_stub_get_segments - GET_SEGMENTS argument
 * @argsz: sizeof(struct udrv_stub_get_segments)
 * @flags: in: 0 or UDRV_STUB_SEGMENTS_IMPORTER
 * @fd: in: a dma-buf fd allocated on this device (else EINVAL)
 * @nr_segments: in: entries available at @segments (may be 0);
 *               out: the buffer's number of segments; if that is more than
 *               what was available, only the first entries were written
 * @segments: in: user address of a struct udrv_stub_segment array
 *
 * Segments are in buffer order: segment i covers the bytes following
 * segment i-1.
 */
struct udrv_stub_get_segments {
	__u32 argsz;
	__u32 flags;
	__s32 fd;
	__u32 nr_segments;
	__u64 segments;
};

/* QUIESCE @how: what made the device quiet */
#define UDRV_STUB_QUIESCED_IDLE		0	/* no DMA buffer existed */
#define UDRV_STUB_QUIESCED_RESET	1	/* function reset */
#define UDRV_STUB_QUIESCED_DRAINED	2	/* no reset method: quiesce_ms
						 * with bus mastering off
						 */

/**
 * struct udrv_stub_quiesce - QUIESCE argument
 * @argsz: sizeof(struct udrv_stub_quiesce)
 * @flags: in: must be 0
 * @how: out: UDRV_STUB_QUIESCED_*
 * @freed: out: quarantined buffers freed
 *
 * Stops the device: clears bus mastering, waits for pending transactions,
 * resets the function or (no reset method) sleeps quiesce_ms with bus
 * mastering off, then frees the quarantine.  If /dev/uioN is open, bus
 * mastering is turned on again before returning.  The device's state is
 * lost if it was reset: re-initialise it.  While it runs, opening
 * /dev/uioN and faulting in BAR mappings wait.
 * Errors: EINVAL (flags), EINTR (a signal ended the sleep; nothing freed),
 * ENODEV (device unbound).
 */
struct udrv_stub_quiesce {
	__u32 argsz;
	__u32 flags;
	__u32 how;
	__u32 freed;
};

#define UDRV_STUB_GET_DMA_MASK		_IO(UDRV_STUB_IOCTL_TYPE, 0x00)
#define UDRV_STUB_SET_DMA_MASK		_IO(UDRV_STUB_IOCTL_TYPE, 0x01)
#define UDRV_STUB_ALLOC_COHERENT	_IO(UDRV_STUB_IOCTL_TYPE, 0x02)
#define UDRV_STUB_ALLOC_STREAMING	_IO(UDRV_STUB_IOCTL_TYPE, 0x03)
#define UDRV_STUB_GET_SEGMENTS		_IO(UDRV_STUB_IOCTL_TYPE, 0x04)
#define UDRV_STUB_QUIESCE		_IO(UDRV_STUB_IOCTL_TYPE, 0x05)

#endif /* _UAPI_UDRV_STUB_H */
