/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * udrv_stub user API: DMA buffers through the control device
 * /dev/udrv/<pci-address> (one per PCI function bound to udrv_stub).
 *
 * Needs only <linux/types.h>, <linux/ioctl.h> and <linux/const.h>; usable
 * from C and C++.
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
 * Bus mastering.  Nothing turns it on implicitly: not opening /dev/uioN,
 * not SET_IRQS.  The device masters DMA, and sends MSI/MSI-X messages,
 * only after SET_MASTER turned mastering on; the stub turns it off again
 * on the last close of /dev/uioN, on QUIESCE (which turns it back on if
 * SET_MASTER had), on SET_MASTER off, and when the device is unbound.
 * Turn it on through SET_MASTER, not through config space: the stub then
 * sees every enable.  Mastering found on in the Command register when a
 * buffer is released counts as "not quiet" whoever set it.
 *
 * Lifetime.  A buffer's memory does not go when its last fd and mapping
 * do, but when the device can no longer write to it:
 *   - The device masters DMA (and MSI) only with bus mastering on (see
 *     above: SET_MASTER).
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
 *     background and is cancelled if bus mastering is turned on first,
 *     except through SET_MASTER, which then completes the drain before it
 *     turns mastering on).
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

#include <linux/const.h>
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
 * mastering off, then frees the quarantine.  If bus mastering was on
 * through SET_MASTER, it is turned on again before returning.  The device's state is
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

/**
 * struct udrv_stub_master - SET_MASTER argument
 * @argsz: sizeof(struct udrv_stub_master)
 * @flags: in: must be 0
 * @on: in: 1 to turn bus mastering on, 0 to turn it off
 * @freed: out: quarantined buffers freed before mastering was turned on
 *
 * The only way the stub turns bus mastering on (nothing does at open).
 * Turning it on makes the device "not quiet": buffers released from then
 * on are quarantined until the next quiesce.  If a previous user's last
 * close left a drain running (a device without a reset method), turning
 * mastering on first completes it, sleeping up to quiesce_ms, so whatever
 * that user left pending cannot land in memory that is freed: its
 * quarantine is freed then (@freed).  Turning mastering off stops new
 * requests but does not make the device quiet (a transfer may be pending):
 * only QUIESCE, the last close and unbind do.
 * Errors: EINVAL (flags, @on not 0 or 1), EINTR (a signal ended the drain;
 * mastering stays off), ENODEV (device unbound).
 */
struct udrv_stub_master {
	__u32 argsz;
	__u32 flags;
	__u32 on;
	__u32 freed;
};

/* Interrupt types of GET_IRQ_INFO and SET_IRQS (libudrv's numbering) */
#define UDRV_STUB_IRQ_NONE		0
#define UDRV_STUB_IRQ_INTX		1
#define UDRV_STUB_IRQ_MSI		2
#define UDRV_STUB_IRQ_MSIX		3

/* GET_IRQ_INFO @flags */
#define UDRV_STUB_IRQ_INFO_ACTIVE	0x1	/* @type is in use now */
#define UDRV_STUB_IRQ_INFO_MASKABLE	0x2	/* INTx: PCI 2.3 INTx disable bit */
#define UDRV_STUB_IRQ_INFO_ACK		0x4	/* INTx: an ack program is installed */

/**
 * struct udrv_stub_irq_info - GET_IRQ_INFO argument
 * @argsz: sizeof(struct udrv_stub_irq_info)
 * @type: in: UDRV_STUB_IRQ_INTX, _MSI or _MSIX; or UDRV_STUB_IRQ_NONE to
 *        ask which type is in use: out: that type (NONE if none)
 * @count: out: vectors the function offers of @type (0: none; INTx: 1 if
 *         a line is routed); for NONE in: vectors in use
 * @flags: out: UDRV_STUB_IRQ_INFO_*
 *
 * Multi-vector MSI needs interrupt remapping on x86: SET_IRQS may refuse
 * more than one MSI vector although @count is larger.
 * Errors: EINVAL (@type), ENODEV (device unbound).
 */
struct udrv_stub_irq_info {
	__u32 argsz;
	__u32 type;
	__u32 count;
	__u32 flags;
};

/**
 * struct udrv_stub_irq_set - SET_IRQS argument (modelled on VFIO_DEVICE_SET_IRQS)
 * @argsz: sizeof(struct udrv_stub_irq_set)
 * @flags: in: must be 0
 * @type: in: UDRV_STUB_IRQ_INTX, _MSI or _MSIX; ignored with @count 0
 * @count: in: number of vectors, 1..the count GET_IRQ_INFO reports (INTx:
 *         1); 0 releases the vectors set before
 * @eventfds: in: user address of a __s32 array of @count eventfds; vector i
 *            signals eventfds[i] (-1: no eventfd for that vector)
 *
 * Replaces the device's vectors: the ones in use are freed and @count
 * vectors of @type allocated, each with its own handler that signals its
 * eventfd.  Vector 0 also still reaches read() on /dev/uioN, and a write
 * of 0/1 to /dev/uioN masks/unmasks it as before (INTx: the handler masks
 * the line with the INTx disable bit, or runs the ack program, and the
 * user unmasks it with a write of 1; MSI/MSI-X are edges and need no
 * unmasking).  MSI and MSI-X are memory writes: they arrive only while
 * bus mastering is on (SET_MASTER).  The open file that set the vectors
 * owns them: they are released, and the mode chosen at probe (irq_mode
 * parameter, one vector) restored, when it does SET_IRQS with @count 0 or
 * is closed (also when its process dies), and at unbind.
 * Errors: EINVAL (flags, @type, @count above what the device offers,
 * INTx with @count > 1, a descriptor that is not an eventfd), EBADF (a bad descriptor), EBUSY
 * (another open file owns the vectors), EOPNOTSUPP (INTx that can be
 * masked neither with the INTx disable bit nor by an ack program), ENOSPC
 * (the platform cannot allocate that many vectors, e.g. multi-MSI without
 * interrupt remapping), ENODEV (device unbound), ENOMEM.
 */
struct udrv_stub_irq_set {
	__u32 argsz;
	__u32 flags;
	__u32 type;
	__u32 count;
	__u64 eventfds;
};

/* SET_INTX_ACK @flags */
#define UDRV_STUB_ACK_WRITE_STATUS	0x1	/* write status & mask, not
						 * @ack_value
						 */
#define UDRV_STUB_ACK_REMOVE		0x2	/* remove the program; the
						 * other members are ignored
						 */

/**
 * struct udrv_stub_intx_ack - SET_INTX_ACK argument: an INTx "ack program"
 * @argsz: sizeof(struct udrv_stub_intx_ack)
 * @flags: in: 0 or UDRV_STUB_ACK_*
 * @bar: in: BAR holding both registers: a memory or I/O BAR of the device
 * @width: in: register width in bytes: 1, 2 or 4
 * @status_off: in: offset of the status register in @bar
 * @ack_off: in: offset of the acknowledge register in @bar
 * @mask: in: bits of the status register that mean "the device requests
 *        an interrupt" (non-zero, fits in @width)
 * @ack_value: in: value written to the acknowledge register (unless
 *             UDRV_STUB_ACK_WRITE_STATUS)
 *
 * For functions without PCI 2.3's INTx disable bit, or whose driver
 * prefers it: the stub's hard interrupt handler reads the status register;
 * if (status & @mask) is 0 the interrupt is not this device's (the line
 * may be shared); else it writes the acknowledge register, which must make
 * the device drop its INTx line, and reports the event.  The INTx disable
 * bit is then not touched; a write of 1 to /dev/uioN is a no-op, a write
 * of 0 holds events back until the next write of 1.  The registers are
 * accessed through pci_iomap() of the pages holding them, released when
 * the program is removed, its owner (the open file that installed it)
 * closed, or the device unbound.  For QEMU's edu: bar 0, width 4, status
 * 0x24, ack 0x64, mask 0xffffffff, UDRV_STUB_ACK_WRITE_STATUS.
 * Errors: EINVAL (flags, width, an offset not a multiple of @width, @mask
 * 0 or wider than @width), ENXIO (@bar is not a memory or I/O BAR of the
 * device), ERANGE (a register beyond the end of @bar), EBUSY (another open
 * file owns the program, or removing it would leave INTx in use without a
 * way to mask it), ENODEV (device unbound), ENOMEM.
 */
struct udrv_stub_intx_ack {
	__u32 argsz;
	__u32 flags;
	__u32 bar;
	__u32 width;
	__u64 status_off;
	__u64 ack_off;
	__u32 mask;
	__u32 ack_value;
};

/*
 * mmap() of the control device maps a BAR, from @off (page-aligned) into
 * it, uncached unless UDRV_STUB_MMAP_WC asks for write-combining:
 *   mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, ctl_fd,
 *        UDRV_STUB_MMAP_OFFSET(bar, 0 or UDRV_STUB_MMAP_WC) + off)
 * (/dev/uioN maps BARs uncached only.)  Write-combining lets the CPU merge
 * and reorder stores and read speculatively: only for a prefetchable
 * memory BAR (else EINVAL), never while an uncached mapping of the BAR
 * exists or the other way round (EBUSY: x86 keeps one cache type per
 * physical range), EOPNOTSUPP if the CPU cannot (x86 without PAT).  Order
 * WC stores with a store fence (udrv_wc_wmb()) before the device must see
 * them.  A BAR smaller than a page is mappable only if the stub could
 * reserve the rest of its page (nothing else can be there), else EINVAL;
 * the pages holding the MSI-X table and PBA are never mapped (an access
 * raises SIGBUS; map around them, as with VFIO without interrupt
 * remapping).  Other errors: EINVAL (no such memory BAR, range beyond the
 * BAR, MAP_PRIVATE), ENODEV (device unbound).
 */
#define UDRV_STUB_MMAP_BAR_SHIFT	40
#define UDRV_STUB_MMAP_WC		_BITULL(39)
#define UDRV_STUB_MMAP_OFFSET(bar, flags) \
	(((__u64)(bar) << UDRV_STUB_MMAP_BAR_SHIFT) | (flags))

#define UDRV_STUB_GET_DMA_MASK		_IO(UDRV_STUB_IOCTL_TYPE, 0x00)
#define UDRV_STUB_SET_DMA_MASK		_IO(UDRV_STUB_IOCTL_TYPE, 0x01)
#define UDRV_STUB_ALLOC_COHERENT	_IO(UDRV_STUB_IOCTL_TYPE, 0x02)
#define UDRV_STUB_ALLOC_STREAMING	_IO(UDRV_STUB_IOCTL_TYPE, 0x03)
#define UDRV_STUB_GET_SEGMENTS		_IO(UDRV_STUB_IOCTL_TYPE, 0x04)
#define UDRV_STUB_QUIESCE		_IO(UDRV_STUB_IOCTL_TYPE, 0x05)
#define UDRV_STUB_SET_MASTER		_IO(UDRV_STUB_IOCTL_TYPE, 0x06)
#define UDRV_STUB_GET_IRQ_INFO		_IO(UDRV_STUB_IOCTL_TYPE, 0x07)
#define UDRV_STUB_SET_IRQS		_IO(UDRV_STUB_IOCTL_TYPE, 0x08)
#define UDRV_STUB_SET_INTX_ACK		_IO(UDRV_STUB_IOCTL_TYPE, 0x09)

#endif /* _UAPI_UDRV_STUB_H */
