// SPDX-License-Identifier: GPL-2.0
/*
 * udrv_stub - the control device /dev/udrv/<pci-address> and its ioctls.
 *
 * One misc device per bound function, created at probe and removed at
 * remove.  Its name "udrv-<address>" is what /sys/class/misc shows; its
 * nodename "udrv/<address>" is the path below /dev that devtmpfs (and
 * udev, which reads DEVNAME from the uevent) creates, mode 0600.  The
 * ioctls, their structs and their errors are described in
 * include/uapi/linux/udrv_stub.h; the buffers themselves in udrv_stub_dmabuf.c, the
 * interrupt ioctls in udrv_stub_irq.c, its mmap() of BARs in
 * udrv_stub_mmap.c.
 *
 * An open file holds a reference on the per-device state, so an ioctl
 * after remove() finds the state and fails cleanly with ENODEV (sdev->
 * dma_gone) instead of touching a device that is no longer ours.  The
 * fops' owner keeps the module loaded while a file is open.
 */

#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <linux/udrv_stub.h>

#include "udrv_stub.h"

/* Larger argsz values are refused outright (E2BIG), not scanned for zeroes. */
#define UDRV_STUB_ARGSZ_MAX	4096

/*
 * Fetch an ioctl argument whose first member is __u32 argsz.  Versioning
 * rules (copy_struct_from_user() does the second half): shorter than the
 * struct we know is an error; longer is a newer user space whose extra
 * members must then all be zero (their "not used" value).
 */
static int udrv_stub_get_arg(void *karg, size_t ksize, void __user *uarg)
{
	u32 argsz;

	if (get_user(argsz, (u32 __user *)uarg))
		return -EFAULT;
	if (argsz < ksize)
		return -EINVAL;
	if (argsz > UDRV_STUB_ARGSZ_MAX)
		return -E2BIG;
	return copy_struct_from_user(karg, ksize, uarg, argsz);
}

static long udrv_stub_get_dma_mask(struct udrv_stub_dev *sdev, void __user *uarg)
{
	struct udrv_stub_dma_mask arg;
	int ret;

	ret = udrv_stub_get_arg(&arg, sizeof(arg), uarg);
	if (ret)
		return ret;

	mutex_lock(&sdev->dma_lock);
	ret = sdev->dma_gone ? -ENODEV : 0;
	arg.bits = sdev->dma_bits;
	mutex_unlock(&sdev->dma_lock);
	if (ret)
		return ret;
	return copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
}

/*
 * Only while no buffer exists: a buffer allocated under a wider mask might
 * lie beyond the new one, and the mask is per device, not per buffer.
 */
static long udrv_stub_set_dma_mask(struct udrv_stub_dev *sdev, void __user *uarg)
{
	struct device *dev = &sdev->pdev->dev;
	struct udrv_stub_dma_mask arg;
	int ret;

	ret = udrv_stub_get_arg(&arg, sizeof(arg), uarg);
	if (ret)
		return ret;
	if (arg.bits < UDRV_STUB_DMA_BITS_MIN || arg.bits > UDRV_STUB_DMA_BITS_MAX)
		return -EINVAL;

	mutex_lock(&sdev->dma_lock);
	if (sdev->dma_gone) {
		ret = -ENODEV;
	} else if (sdev->nr_buffers) {
		ret = -EBUSY;
	} else if (dma_set_mask_and_coherent(dev, DMA_BIT_MASK(arg.bits))) {
		/* It may have set the streaming mask only: put both back. */
		dma_set_mask_and_coherent(dev, DMA_BIT_MASK(sdev->dma_bits));
		ret = -EIO;
	} else {
		WRITE_ONCE(sdev->dma_bits, arg.bits);
		dev_dbg(dev, "DMA mask set to %u bits\n", arg.bits);
	}
	mutex_unlock(&sdev->dma_lock);
	return ret;
}

/*
 * The fd is reserved first and installed last, after the result reached
 * user space: a failing copy_to_user() must not leave behind an fd the
 * caller never learnt about.
 */
static long udrv_stub_alloc(struct udrv_stub_dev *sdev,
			    enum udrv_stub_buf_kind kind, void __user *uarg)
{
	struct udrv_stub_alloc arg;
	struct dma_buf *dmabuf;
	size_t size;
	int fd, ret;

	ret = udrv_stub_get_arg(&arg, sizeof(arg), uarg);
	if (ret)
		return ret;
	if (arg.flags || !arg.size)
		return -EINVAL;
	if (arg.size > udrv_stub_max_buffer_size())
		return -E2BIG;
	/* Cannot overflow: the limit is a whole number of MiB. */
	size = PAGE_ALIGN(arg.size);

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;

	mutex_lock(&sdev->dma_lock);
	if (sdev->dma_gone)
		dmabuf = ERR_PTR(-ENODEV);
	else
		dmabuf = udrv_stub_buf_create(sdev, kind, size, &arg.dma_addr,
					      &arg.nr_segments);
	mutex_unlock(&sdev->dma_lock);
	if (IS_ERR(dmabuf)) {
		put_unused_fd(fd);
		return PTR_ERR(dmabuf);
	}

	arg.size = size;
	arg.fd = fd;
	if (copy_to_user(uarg, &arg, sizeof(arg))) {
		put_unused_fd(fd);
		dma_buf_put(dmabuf);	/* frees the buffer */
		return -EFAULT;
	}
	fd_install(fd, dmabuf->file);
	return 0;
}

/*
 * The segments are gathered into a kernel array under dma_lock and copied
 * to user space after it is dropped: a slow or faulting user page must not
 * stall remove() and every buffer release behind the lock.
 */
static long udrv_stub_get_segments(struct udrv_stub_dev *sdev,
				   void __user *uarg)
{
	struct udrv_stub_get_segments arg;
	struct udrv_stub_segment *seg;
	struct dma_buf *dmabuf;
	u32 room;
	int ret;

	ret = udrv_stub_get_arg(&arg, sizeof(arg), uarg);
	if (ret)
		return ret;
	if (arg.flags & ~UDRV_STUB_SEGMENTS_IMPORTER)
		return -EINVAL;

	dmabuf = dma_buf_get(arg.fd);	/* EBADF, or EINVAL if no dma-buf */
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);

	/* A buffer has at most one segment per page. */
	room = min_t(u64, arg.nr_segments, dmabuf->size >> PAGE_SHIFT);
	seg = kvcalloc(max_t(u32, room, 1), sizeof(*seg), GFP_KERNEL);
	if (!seg) {
		dma_buf_put(dmabuf);
		return -ENOMEM;
	}

	mutex_lock(&sdev->dma_lock);
	if (sdev->dma_gone)
		ret = -ENODEV;
	else
		ret = udrv_stub_buf_segments(sdev, dmabuf,
					     arg.flags & UDRV_STUB_SEGMENTS_IMPORTER,
					     seg, &room);
	mutex_unlock(&sdev->dma_lock);
	/* After the unlock: if the fd was closed meanwhile, this frees it. */
	dma_buf_put(dmabuf);

	if (!ret) {
		u32 n = min(room, arg.nr_segments);

		if (n && copy_to_user(u64_to_user_ptr(arg.segments), seg,
				      n * sizeof(*seg)))
			ret = -EFAULT;
		arg.nr_segments = room;
	}
	kvfree(seg);
	if (ret)
		return ret;
	return copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
}

static long udrv_stub_quiesce(struct udrv_stub_dev *sdev, void __user *uarg)
{
	struct udrv_stub_quiesce arg;
	unsigned int before;
	bool was_master;
	int ret;

	ret = udrv_stub_get_arg(&arg, sizeof(arg), uarg);
	if (ret)
		return ret;
	if (arg.flags)
		return -EINVAL;

	mutex_lock(&sdev->lock);
	if (sdev->revoked) {
		mutex_unlock(&sdev->lock);
		return -ENODEV;
	}
	before = READ_ONCE(sdev->nr_quarantined);
	was_master = sdev->master;
	ret = udrv_stub_dma_quiesce(sdev, UDRV_STUB_DRAIN_SYNC, &arg.how);
	arg.freed = before - READ_ONCE(sdev->nr_quarantined);
	if (was_master)
		udrv_stub_master_on(sdev);
	mutex_unlock(&sdev->lock);
	if (ret)
		return ret;
	return copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
}

static long udrv_stub_set_master_ioctl(struct udrv_stub_dev *sdev,
				       void __user *uarg)
{
	struct udrv_stub_master arg;
	int ret;

	ret = udrv_stub_get_arg(&arg, sizeof(arg), uarg);
	if (ret)
		return ret;
	if (arg.flags || arg.on > 1)
		return -EINVAL;
	ret = udrv_stub_set_master(sdev, arg.on, &arg.freed);
	if (ret)
		return ret;
	return copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
}

static long udrv_stub_get_irq_info(struct udrv_stub_dev *sdev,
				   void __user *uarg)
{
	struct udrv_stub_irq_info arg;
	int ret;

	ret = udrv_stub_get_arg(&arg, sizeof(arg), uarg);
	if (ret)
		return ret;
	ret = udrv_stub_irq_info(sdev, &arg);
	if (ret)
		return ret;
	return copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
}

/* More than any function has: MSI-X has at most 2048 vectors. */
#define UDRV_STUB_MAX_VECTORS	2048

static long udrv_stub_set_irqs_ioctl(struct udrv_stub_dev *sdev,
				     struct file *file, void __user *uarg)
{
	struct udrv_stub_irq_set arg;
	s32 *fds = NULL;
	int ret;

	ret = udrv_stub_get_arg(&arg, sizeof(arg), uarg);
	if (ret)
		return ret;
	if (arg.flags || arg.count > UDRV_STUB_MAX_VECTORS)
		return -EINVAL;
	if (arg.count) {
		fds = memdup_user(u64_to_user_ptr(arg.eventfds),
				  arg.count * sizeof(*fds));
		if (IS_ERR(fds))
			return PTR_ERR(fds);
	}
	ret = udrv_stub_set_irqs(sdev, file, arg.type, arg.count, fds);
	kfree(fds);
	return ret;
}

static long udrv_stub_set_intx_ack_ioctl(struct udrv_stub_dev *sdev,
					 struct file *file, void __user *uarg)
{
	struct udrv_stub_intx_ack arg;
	int ret;

	ret = udrv_stub_get_arg(&arg, sizeof(arg), uarg);
	if (ret)
		return ret;
	return udrv_stub_set_intx_ack(sdev, file, &arg);
}

static long udrv_stub_ctl_ioctl(struct file *file, unsigned int cmd,
				unsigned long arg)
{
	struct udrv_stub_dev *sdev = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case UDRV_STUB_GET_DMA_MASK:
		return udrv_stub_get_dma_mask(sdev, uarg);
	case UDRV_STUB_SET_DMA_MASK:
		return udrv_stub_set_dma_mask(sdev, uarg);
	case UDRV_STUB_ALLOC_COHERENT:
		return udrv_stub_alloc(sdev, UDRV_STUB_BUF_COHERENT, uarg);
	case UDRV_STUB_ALLOC_STREAMING:
		return udrv_stub_alloc(sdev, UDRV_STUB_BUF_STREAMING, uarg);
	case UDRV_STUB_GET_SEGMENTS:
		return udrv_stub_get_segments(sdev, uarg);
	case UDRV_STUB_QUIESCE:
		return udrv_stub_quiesce(sdev, uarg);
	case UDRV_STUB_SET_MASTER:
		return udrv_stub_set_master_ioctl(sdev, uarg);
	case UDRV_STUB_GET_IRQ_INFO:
		return udrv_stub_get_irq_info(sdev, uarg);
	case UDRV_STUB_SET_IRQS:
		return udrv_stub_set_irqs_ioctl(sdev, file, uarg);
	case UDRV_STUB_SET_INTX_ACK:
		return udrv_stub_set_intx_ack_ioctl(sdev, file, uarg);
	default:
		return -ENOTTY;
	}
}

/*
 * misc_open() has put our miscdevice in private_data and calls us under
 * misc_mtx, which misc_deregister() also takes: sdev cannot be freed
 * between the lookup and our reference.
 */
static int udrv_stub_ctl_open(struct inode *inode, struct file *file)
{
	struct miscdevice *misc = file->private_data;
	struct udrv_stub_dev *sdev = container_of(misc, struct udrv_stub_dev,
						  ctl);

	udrv_stub_get(sdev);
	mutex_lock(&sdev->lock);
	sdev->ctl_open_count++;
	mutex_unlock(&sdev->lock);
	file->private_data = sdev;
	return stream_open(inode, file);
}

/*
 * The vectors and the ack program this file set go (back to the probe's
 * vector).  The last user of the device's DMA may be a control file alone
 * (buffers allocated with /dev/uioN closed, bus mastering on through
 * SET_MASTER): quiesce then too.
 */
static int udrv_stub_ctl_release(struct inode *inode, struct file *file)
{
	struct udrv_stub_dev *sdev = file->private_data;

	udrv_stub_irq_release(sdev, file);
	mutex_lock(&sdev->lock);
	if (--sdev->ctl_open_count == 0 && !sdev->open_count && !sdev->revoked)
		udrv_stub_dma_quiesce(sdev, UDRV_STUB_DRAIN_ASYNC, NULL);
	mutex_unlock(&sdev->lock);
	udrv_stub_put(sdev);
	return 0;
}

static int udrv_stub_ctl_mmap_fop(struct file *file, struct vm_area_struct *vma)
{
	return udrv_stub_ctl_mmap(file->private_data, file, vma);
}

static const struct file_operations udrv_stub_ctl_fops = {
	.owner = THIS_MODULE,
	.open = udrv_stub_ctl_open,
	.mmap = udrv_stub_ctl_mmap_fop,
	.release = udrv_stub_ctl_release,
	.unlocked_ioctl = udrv_stub_ctl_ioctl,
	/* Fixed-size structs, explicit padding, pointers as __u64. */
	.compat_ioctl = compat_ptr_ioctl,
	/* No .llseek: lseek() fails with ESPIPE on every kernel. */
};

/**
 * udrv_stub_ctl_init() - create /dev/udrv/<address>
 * @sdev: device state; dma_lock and buffers are initialised
 *
 * Return: 0 or the error of misc_register().
 */
int udrv_stub_ctl_init(struct udrv_stub_dev *sdev)
{
	struct pci_dev *pdev = sdev->pdev;
	int ret;

	snprintf(sdev->ctl_name, sizeof(sdev->ctl_name), "udrv-%s",
		 pci_name(pdev));
	snprintf(sdev->ctl_nodename, sizeof(sdev->ctl_nodename), "udrv/%s",
		 pci_name(pdev));
	sdev->ctl.minor = MISC_DYNAMIC_MINOR;
	sdev->ctl.name = sdev->ctl_name;
	sdev->ctl.nodename = sdev->ctl_nodename;
	sdev->ctl.mode = 0600;
	sdev->ctl.fops = &udrv_stub_ctl_fops;
	sdev->ctl.parent = &pdev->dev;

	ret = misc_register(&sdev->ctl);
	if (ret) {
		pci_err(pdev, "cannot create /dev/%s (%d)\n", sdev->ctl_nodename,
			ret);
		return ret;
	}
	sdev->ctl_registered = 1;
	return 0;
}

/**
 * udrv_stub_ctl_fini() - remove /dev/udrv/<address>, end DMA buffer service
 * @sdev: device state; bus mastering is already off
 *
 * Open files stay valid but their ioctls fail with ENODEV from now on, and
 * no buffer is allocated any more; remove() then takes the existing ones
 * away (udrv_stub_bufs_revoke()).
 */
void udrv_stub_ctl_fini(struct udrv_stub_dev *sdev)
{
	if (sdev->ctl_registered) {
		misc_deregister(&sdev->ctl);
		sdev->ctl_registered = 0;
	}

	mutex_lock(&sdev->dma_lock);
	sdev->dma_gone = 1;
	mutex_unlock(&sdev->dma_lock);
}
