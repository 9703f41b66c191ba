/* SPDX-License-Identifier: MIT */
/**
 * DOC: devices
 *
 * A &struct udrv_device is one PCI function opened through one access path
 * (backend).  The backend follows from the kernel driver the function is
 * bound to, or is forced by the caller:
 *
 * ============== ================== ==========================================
 * backend        bound driver       what it gives
 * ============== ================== ==========================================
 * VFIO           vfio-pci           IOMMU-isolated BARs, config, DMA, IRQs
 * UIO            uio_pci_generic    BARs, config via sysfs, INTx
 * STUB           udrv_stub          BARs (all kinds), MSI/INTx, DMA buffers
 * SYSFS          anything or none   resourceN BARs and config; root only
 * ============== ================== ==========================================
 *
 * Thread safety: a device handle is not locked.  Closing, mapping and
 * unmapping must not race with other calls on the same handle; register
 * access through mapped BARs (see <udrv/mmio.h>), udrv_bar_read/write on a
 * BAR that is already mapped, and config-space access may run from any
 * number of threads at once.  Different handles may be used from different
 * threads freely: what they share (the process's VFIO container and its
 * groups) is locked inside libudrv.  Error messages are per thread.
 *
 * Processes: a handle belongs to the process that opened it.  After fork()
 * the child's copies of the parent's handles are inert: their BAR mappings
 * and DMA buffers are not in the child (buffers are MADV_DONTFORK), every
 * call on them fails with -EBADF and a message saying whose they are, and
 * udrv_close() on them frees only the child's copy (its copies of the fds
 * included) without touching the device, the parent's interrupts, DMA
 * mappings or Command register.  The child's own udrv_open() calls start
 * afresh (a VFIO container of its own, never the parent's), but a device
 * whose inherited handle the child still holds is refused with -EBUSY: it
 * is the parent's.  vfork()/posix_spawn() and exec are unaffected.  As in
 * DPDK and SPDK, one process drives a device at a time; under VFIO the
 * kernel enforces it (one process per IOMMU group), under uio_pci_generic
 * any other opener's close clears bus mastering.
 *
 * Bus mastering: nothing turns it on implicitly, on any path (not
 * udrv_open(), not udrv_irq_enable()).  Call udrv_set_bus_master(dev, 1)
 * once the DMA buffers exist, as pci_set_master() in a kernel driver: it is
 * needed for DMA and for MSI/MSI-X delivery (an MSI is a memory write).
 * Without it a DMA transfer, or an MSI, does not reach memory on any path.
 * udrv_close() puts the Command register's I/O, memory, bus master and INTx
 * disable bits back as udrv_open() found them.
 */
#ifndef UDRV_DEVICE_H
#define UDRV_DEVICE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct udrv_device;

/**
 * enum udrv_backend - access path to a device
 * @UDRV_BACKEND_AUTO:  choose from the bound driver
 * @UDRV_BACKEND_VFIO:  vfio-pci, through an IOMMU (type1 container)
 * @UDRV_BACKEND_UIO:   uio_pci_generic
 * @UDRV_BACKEND_STUB:  udrv_stub.ko
 * @UDRV_BACKEND_SYSFS: sysfs resourceN and config files (inspection)
 */
enum udrv_backend {
	UDRV_BACKEND_AUTO = 0,
	UDRV_BACKEND_VFIO,
	UDRV_BACKEND_UIO,
	UDRV_BACKEND_STUB,
	UDRV_BACKEND_SYSFS,
};

/**
 * enum udrv_vfio_mode - how a VFIO device reaches the kernel's IOMMU layer
 * @UDRV_VFIO_AUTO:     choose (udrv_open()); "not VFIO" (udrv_vfio_mode())
 * @UDRV_VFIO_IOMMUFD:  the device cdev (/dev/vfio/devices/vfioN) bound to an
 *                      iommufd (/dev/iommu), DMA mapped in an IOAS with
 *                      IOMMU_IOAS_MAP (Linux 6.6+, CONFIG_IOMMUFD and
 *                      CONFIG_VFIO_DEVICE_CDEV)
 * @UDRV_VFIO_TYPE1:    the IOMMU group (/dev/vfio/N) in a container with the
 *                      type1 IOMMU driver, DMA mapped with VFIO_IOMMU_MAP_DMA
 * @UDRV_VFIO_NOIOMMU:  a no-IOMMU group (/dev/vfio/noiommu-N: no IOMMU, the
 *                      kernel's enable_unsafe_noiommu_mode=1): NO isolation,
 *                      the device can write anywhere in memory; DMA buffers
 *                      are locked huge pages at their physical addresses
 *
 * %UDRV_VFIO_AUTO picks, for a function bound to vfio-pci: no-IOMMU when its
 * group is a no-IOMMU group, else iommufd when the kernel offers the device's
 * cdev and /dev/iommu, else type1.  The same driver code runs on all three.
 */
enum udrv_vfio_mode {
	UDRV_VFIO_AUTO = 0,
	UDRV_VFIO_IOMMUFD,
	UDRV_VFIO_TYPE1,
	UDRV_VFIO_NOIOMMU,
};

/**
 * struct udrv_open_opts - options for udrv_open()
 * @backend:   access path, or %UDRV_BACKEND_AUTO
 * @vfio_mode: for the VFIO path, force iommufd, type1 or no-IOMMU, or
 *             %UDRV_VFIO_AUTO; ignored by the other paths
 *
 * A zeroed struct (or NULL) means defaults.  Nothing else (no environment
 * variable) changes the choice.
 */
struct udrv_open_opts {
	enum udrv_backend backend;
	enum udrv_vfio_mode vfio_mode;
};

/**
 * udrv_open() - open a PCI function
 * @addr: PCI address, ``[[domain:]bus:]slot.func`` (see <udrv/pci_addr.h>)
 * @opts: options, or NULL for defaults
 * @devp: set to the new handle on success
 *
 * Return: 0, or a negative errno with udrv_last_error() explaining: -EINVAL
 * bad address, -ENODEV no such device or not bound to a driver the backend
 * needs, -ENOENT a device node missing (VFIO forced on a device not bound
 * to vfio-pci: no /dev/vfio/<group>), -EACCES/-EPERM missing privileges,
 * -EBUSY device in use (by another process, or by the parent this process
 * was forked from: see "Processes" above), -ENOMEM, -ENOTSUP
 * a forced &udrv_open_opts.vfio_mode this kernel or group does not offer.  Nothing is
 * leaked on failure.
 */
int udrv_open(const char *addr, const struct udrv_open_opts *opts, struct udrv_device **devp);

/**
 * udrv_close() - unmap everything and release a device
 * @dev: handle from udrv_open(), or NULL (no-op)
 *
 * Disables interrupts, puts the Command register's I/O, memory, bus master
 * and INTx disable bits back as udrv_open() found them (bus mastering
 * first, before the DMA buffers are freed), frees the buffers, unmaps the
 * BARs and closes the device.  In a forked child, on a handle inherited
 * from the parent, it frees only the child's copy.
 */
void udrv_close(struct udrv_device *dev);

/**
 * udrv_backend() - the access path a device was opened with
 * @dev: the device
 *
 * Return: never %UDRV_BACKEND_AUTO.
 */
enum udrv_backend udrv_backend(const struct udrv_device *dev);

/**
 * udrv_backend_name() - short name of a backend
 * @backend: a backend
 *
 * Return: "auto", "vfio", "uio", "stub", "sysfs" or "?" for unknown values.
 */
const char *udrv_backend_name(enum udrv_backend backend);

/**
 * udrv_vfio_mode() - how a device opened through VFIO reaches the IOMMU
 * @dev: the device
 *
 * Return: %UDRV_VFIO_IOMMUFD, %UDRV_VFIO_TYPE1 or %UDRV_VFIO_NOIOMMU for a
 * VFIO device, %UDRV_VFIO_AUTO (0) for a device opened through another path.
 */
enum udrv_vfio_mode udrv_vfio_mode(const struct udrv_device *dev);

/**
 * udrv_vfio_mode_name() - short name of a VFIO mode
 * @mode: a mode
 *
 * Return: "auto", "iommufd", "type1", "noiommu", or "?" for unknown values.
 */
const char *udrv_vfio_mode_name(enum udrv_vfio_mode mode);

/**
 * udrv_vfio_mode_for() - the VFIO mode udrv_open() would pick for a function
 * @addr: PCI address (see <udrv/pci_addr.h>)
 * @want: %UDRV_VFIO_AUTO, or the mode to check
 *
 * Looks at sysfs and /dev only (opens nothing), so it answers for a function
 * whatever its driver: the mode it would have on vfio-pci.  For a forced
 * @want it checks that the kernel offers it.
 *
 * Return: the mode (> 0), or a negative errno with udrv_last_error()
 * explaining: -EINVAL bad address, -ENODEV no such function, -ENOENT no IOMMU
 * group (no IOMMU and no no-IOMMU mode), -ENOTSUP @want not offered by this
 * kernel or for this group (e.g. iommufd without CONFIG_VFIO_DEVICE_CDEV).
 */
int udrv_vfio_mode_for(const char *addr, enum udrv_vfio_mode want);

/**
 * udrv_device_name() - canonical PCI address of a device ("0000:00:04.0")
 * @dev: the device
 *
 * Return: a string owned by @dev.
 */
const char *udrv_device_name(const struct udrv_device *dev);

/* Flags of struct udrv_bar_info. */
#define UDRV_BAR_MEM      (1u << 0) /* memory space BAR */
#define UDRV_BAR_IO       (1u << 1) /* I/O port BAR */
#define UDRV_BAR_MEM64    (1u << 2) /* 64-bit memory BAR */
#define UDRV_BAR_PREFETCH (1u << 3) /* prefetchable */
#define UDRV_BAR_MMAP     (1u << 4) /* this backend can map it */

/**
 * struct udrv_bar_info - what a BAR is, without mapping it
 * @index: BAR number, 0..5
 * @flags: UDRV_BAR_* flags
 * @size:  length in bytes; 0 if the BAR is not implemented
 * @phys:  CPU physical address of the BAR (0 if the backend does not know)
 */
struct udrv_bar_info {
	unsigned int index;
	uint32_t flags;
	uint64_t size;
	uint64_t phys;
};

/** UDRV_NUM_BARS - number of standard BARs of a type 0 function */
#define UDRV_NUM_BARS 6

/**
 * udrv_bar_info() - describe a BAR
 * @dev:  the device
 * @bar:  BAR number, 0..5
 * @info: filled in
 *
 * Return: 0, -EINVAL for a BAR number out of range, or -ENOENT if the BAR is
 * not implemented by the device.
 */
int udrv_bar_info(struct udrv_device *dev, unsigned int bar, struct udrv_bar_info *info);

/**
 * udrv_bar_map() - map a whole memory BAR into this process
 * @dev:  the device
 * @bar:  BAR number, 0..5
 * @addr: set to the address of the BAR's first byte
 * @size: set to the BAR's length (may be NULL)
 *
 * The mapping is uncached (udrv_bar_map_flags() asks for write-combining)
 * and stays until udrv_bar_unmap() or udrv_close().  Mapping a BAR that is
 * already mapped returns the same address.
 *
 * Return: 0, or -EINVAL (bad BAR number, I/O BAR), -ENOENT (BAR not
 * implemented), -ENOTSUP (backend cannot map it), -EACCES (privileges),
 * -E2BIG (udrv_stub, VFIO: more accessible pieces around the MSI-X table
 * and PBA than %UDRV_BAR_MAX_RANGES), -EBADF (a handle inherited across
 * fork()), or the errno of the failed mmap().
 */
int udrv_bar_map(struct udrv_device *dev, unsigned int bar, void **addr, size_t *size);

/* Flags of udrv_bar_map_flags(). */
#define UDRV_BAR_MAP_WC (1u << 0) /* write-combining (see udrv_wc_wmb()) */

/**
 * udrv_bar_map_flags() - map a memory BAR, asking for a cache type
 * @dev:   the device
 * @bar:   BAR number, 0..5
 * @flags: 0 (uncached) or %UDRV_BAR_MAP_WC
 * @addr:  set to the address of the BAR's first byte
 * @size:  set to the BAR's length (may be NULL)
 *
 * Write-combining lets the CPU read speculatively and merge and reorder
 * stores: ask for it only for a prefetchable BAR whose contents allow that
 * (frame buffers, descriptor rings, write-only doorbell pages), and order
 * the stores with udrv_wc_wmb() before the device must see them.  It is a
 * request: the stub and sysfs paths grant it for prefetchable BARs, VFIO
 * maps every BAR uncached; the return value says what the mapping got.
 * A BAR that is already mapped keeps its mapping: asking for the other
 * cache type then fails with -EBUSY (udrv_bar_unmap() first).
 *
 * Return: the %UDRV_BAR_MAP_* flags the mapping has (0: uncached), or a
 * negative errno as udrv_bar_map(), -EINVAL for unknown @flags, -EBUSY.
 */
int udrv_bar_map_flags(struct udrv_device *dev, unsigned int bar, unsigned int flags,
		       void **addr, size_t *size);

/**
 * udrv_bar_unmap() - undo udrv_bar_map()
 * @dev: the device
 * @bar: BAR number; unmapped BARs are ignored
 */
void udrv_bar_unmap(struct udrv_device *dev, unsigned int bar);

/**
 * udrv_config_read() - read configuration space
 * @dev: the device
 * @buf: destination
 * @len: bytes to read
 * @off: offset in config space
 *
 * Return: @len, or a negative errno: -EINVAL beyond the device's config
 * space, -EIO if the kernel returned fewer bytes (e.g. non-root reads past
 * 64 bytes through sysfs).
 */
ssize_t udrv_config_read(struct udrv_device *dev, void *buf, size_t len, off_t off);

/**
 * udrv_config_write() - write configuration space
 * @dev: the device
 * @buf: source
 * @len: bytes to write
 * @off: offset in config space
 *
 * Return: @len or a negative errno (see udrv_config_read()).
 */
ssize_t udrv_config_write(struct udrv_device *dev, const void *buf, size_t len, off_t off);

/**
 * udrv_config_read8() - read a config-space byte
 * @dev: the device
 * @off: offset
 * @val: the value
 *
 * Return: 0 or a negative errno (see udrv_config_read()).
 */
int udrv_config_read8(struct udrv_device *dev, off_t off, uint8_t *val);

/**
 * udrv_config_read16() - read an aligned little-endian word of config space
 * @dev: the device
 * @off: offset, a multiple of 2
 * @val: the value, in CPU byte order
 *
 * Return: 0 or a negative errno (-EINVAL for a misaligned @off).
 */
int udrv_config_read16(struct udrv_device *dev, off_t off, uint16_t *val);

/**
 * udrv_config_read32() - read an aligned little-endian dword of config space
 * @dev: the device
 * @off: offset, a multiple of 4
 * @val: the value, in CPU byte order
 *
 * Return: 0 or a negative errno (-EINVAL for a misaligned @off).
 */
int udrv_config_read32(struct udrv_device *dev, off_t off, uint32_t *val);

/**
 * udrv_config_write8() - write a config-space byte
 * @dev: the device
 * @off: offset
 * @val: the value
 *
 * Return: 0 or a negative errno.
 */
int udrv_config_write8(struct udrv_device *dev, off_t off, uint8_t val);

/**
 * udrv_config_write16() - write an aligned little-endian word of config space
 * @dev: the device
 * @off: offset, a multiple of 2
 * @val: the value, in CPU byte order
 *
 * Return: 0 or a negative errno.
 */
int udrv_config_write16(struct udrv_device *dev, off_t off, uint16_t val);

/**
 * udrv_config_write32() - write an aligned little-endian dword of config space
 * @dev: the device
 * @off: offset, a multiple of 4
 * @val: the value, in CPU byte order
 *
 * Return: 0 or a negative errno.
 */
int udrv_config_write32(struct udrv_device *dev, off_t off, uint32_t val);

/**
 * struct udrv_range - a byte range inside a BAR
 * @offset: first byte, from the start of the BAR
 * @size:   length in bytes
 */
struct udrv_range {
	uint64_t offset;
	uint64_t size;
};

/** UDRV_BAR_MAX_RANGES - most accessible ranges udrv_bar_ranges() reports */
#define UDRV_BAR_MAX_RANGES 8

/**
 * udrv_bar_ranges() - which parts of a memory BAR are mapped and accessible
 * @dev:    the device
 * @bar:    BAR number
 * @ranges: at least UDRV_BAR_MAX_RANGES entries, filled in ascending order
 * @count:  set to the number of ranges
 *
 * Maps the BAR if it is not mapped yet.  Usually the whole BAR is one range.
 * When the backend cannot map the MSI-X table and PBA (VFIO without
 * interrupt remapping), udrv maps around them, page by page, and those holes
 * are missing from the list.  Touching a hole through the returned pointer
 * faults; through udrv_bar_read()/udrv_bar_write() it is an -EFAULT error.
 *
 * Return: 0 or a negative errno (see udrv_bar_map()).
 */
int udrv_bar_ranges(struct udrv_device *dev, unsigned int bar, struct udrv_range *ranges,
		    unsigned int *count);

/**
 * udrv_bar_read() - checked register read from any BAR, memory or I/O
 * @dev:   the device
 * @bar:   BAR number
 * @off:   byte offset in the BAR, a multiple of @width
 * @width: 1, 2, 4 or 8 bytes (8 only for memory BARs)
 * @val:   the value read, zero-extended
 *
 * Memory BARs are mapped on first use and read with one access of exactly
 * @width; I/O-port BARs with one in/out instruction where the thread may
 * (x86, root or CAP_SYS_RAWIO: see udrv_bar_pio_direct()), else through
 * the backend (VFIO region read, or sysfs resourceN as root).  Slower than
 * the <udrv/mmio.h> accessors, which do no checking: use this for tools
 * and for I/O ports.
 *
 * Return: 0, -EINVAL (bad BAR, width, alignment, or @off past the BAR),
 * -EFAULT (@off inside a hole, see udrv_bar_ranges()), or another negative
 * errno from the backend.
 */
int udrv_bar_read(struct udrv_device *dev, unsigned int bar, uint64_t off, unsigned int width,
		  uint64_t *val);

/**
 * udrv_bar_pio_direct() - whether I/O-port accesses to a BAR are direct
 * @dev: the device
 * @bar: an I/O-port BAR
 *
 * On x86, udrv_bar_read() and udrv_bar_write() on an I/O-port BAR run the
 * in/out instruction themselves when the kernel lets the calling thread
 * (ioperm() for ports below 0x400, else iopl(): root or CAP_SYS_RAWIO, no
 * kernel lockdown), as DPDK does for legacy virtio; each thread asks once,
 * on its first access.  Otherwise they fall back to a system call per
 * access (pread/pwrite of the VFIO region or of sysfs ``resourceN``).
 * This says which, and why not.
 *
 * Return: 0 if accesses from this thread are direct; -EPERM (the kernel
 * refused ioperm/iopl) or -ENOTSUP (not x86, or the port range is
 * unknown), with the reason in udrv_last_error(): accesses then use the
 * system call, which still works; -EINVAL for a memory BAR or a bad BAR
 * number, -ENOENT for an unimplemented one, -EBADF (a handle inherited
 * across fork()).
 */
int udrv_bar_pio_direct(struct udrv_device *dev, unsigned int bar);

/**
 * udrv_bar_write() - checked register write to any BAR, memory or I/O
 * @dev:   the device
 * @bar:   BAR number
 * @off:   byte offset, a multiple of @width
 * @width: 1, 2, 4 or 8 bytes (8 only for memory BARs)
 * @val:   the value; must fit in @width bytes
 *
 * Return: as udrv_bar_read(); -ERANGE if @val does not fit in @width.
 */
int udrv_bar_write(struct udrv_device *dev, unsigned int bar, uint64_t off, unsigned int width,
		   uint64_t val);

/**
 * udrv_set_bus_master() - allow or forbid the device to master the bus (DMA)
 * @dev: the device
 * @on:  non-zero to set the Command register's Bus Master bit, 0 to clear it
 *
 * The one switch for DMA and MSI/MSI-X delivery on every path: nothing
 * else in libudrv turns bus mastering on.  Turn it on once the DMA buffers
 * exist (and the device's DMA registers are programmed or idle), as
 * pci_set_master() in a kernel driver.
 *
 * Turning it on hands the device over safely: when the bit is off, the
 * device is first made quiet of what a previous owner (a process that died
 * in the middle of a transfer) or this one started, so that no old
 * transfer lands in the new buffers, which reuse the same device
 * addresses.  What each path guarantees:
 *
 * ====== ===============================================================
 * path   before the bit goes on
 * ====== ===============================================================
 * stub   udrv_stub quiesces in the kernel: mastering stayed off since the
 *        last owner's close, pending transactions waited for, a function
 *        reset, or without one its ``quiesce_ms`` drain
 * VFIO   vfio-pci reset the function when it was opened, if it has a
 *        reset method; then as below
 * all    PCIe: Transactions Pending (Device Status) waited for, up to
 *        1 s; then the driver's own stop, udrv_set_quiesce(), with
 *        mastering still off
 * ====== ===============================================================
 *
 * A device that can be neither reset nor told to stop (QEMU's edu: a
 * transfer it started completes whenever its timer fires) is quiet only
 * if the driver says how: see udrv_set_quiesce().
 *
 * Return: 0, or a negative errno: -ETIMEDOUT (a previous owner's
 * transactions still pending), the error of the driver's quiesce function,
 * -EBADF (a handle inherited across fork()), or the errors of
 * udrv_config_read() and udrv_config_write() (-EIO, -EACCES...).
 */
int udrv_set_bus_master(struct udrv_device *dev, int on);

/**
 * udrv_set_quiesce() - tell libudrv how to stop the device's own activity
 * @dev:     the device
 * @quiesce: called by udrv_set_bus_master(@dev, 1) while bus mastering is
 *           still off, every time it is about to go on; returns 0 once the
 *           device has stopped (or finished, into nothing) what it was
 *           doing, or a negative errno; NULL to remove it
 * @arg:     passed to @quiesce
 *
 * The driver's half of a safe hand-over: only the driver knows the
 * device's registers.  For edu, wait until the DMA command register's busy
 * bit clears (udrv_poll32()); for NVMe, wait for CSTS.RDY to clear after
 * clearing CC.EN.  Register it right after udrv_open(); the BARs may be
 * mapped in it.  A failing @quiesce fails udrv_set_bus_master() with its
 * error and leaves mastering off.
 *
 * Return: 0, or -EBADF (a handle inherited across fork()).
 */
int udrv_set_quiesce(struct udrv_device *dev, int (*quiesce)(struct udrv_device *dev, void *arg),
		     void *arg);

/**
 * udrv_enable() - turn on memory and I/O decoding for the device's BARs
 * @dev: the device
 *
 * Sets the Command register's Memory Space bit if the device has a memory
 * BAR and its I/O Space bit if it has an I/O BAR.  The kernel drivers udrv
 * binds to do this already; the sysfs backend on an unbound device may
 * need it before the BARs respond.
 *
 * Return: 0 or a negative errno.
 */
int udrv_enable(struct udrv_device *dev);

/**
 * udrv_reset() - reset the function
 * @dev: the device
 *
 * VFIO_DEVICE_RESET under VFIO; the sysfs ``reset`` attribute otherwise
 * (FLR, PM reset or bus reset, whichever the kernel finds).  Config space is
 * saved and restored by the kernel; mappings stay valid.
 *
 * Return: 0, -ENOTSUP if the device has no reset method the kernel can use,
 * or another negative errno.
 */
int udrv_reset(struct udrv_device *dev);

#ifdef __cplusplus
}
#endif

#endif /* UDRV_DEVICE_H */
