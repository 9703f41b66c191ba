// SPDX-License-Identifier: MIT
/*
 * VFIO's variable-size info replies.  An info ioctl answers with argsz set
 * to what the whole reply needs; when a capability chain does not fit, the
 * caller grows the buffer and asks again.  The chain is a list of
 * struct vfio_info_cap_header linked by offsets from the start of the
 * reply.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vfio.h"

/* A chain can hold no more capabilities than this (each is at least a header). */
#define MAX_CAPS 64

int udrv_vfio_info(int fd, unsigned long request, void *info, size_t size, void **infop)
{
	void *buf = malloc(size), *bigger;
	uint32_t want;

	if (!buf)
		return -ENOMEM;
	memcpy(buf, info, size);
	for (;;) {
		if (ioctl(fd, request, buf)) {
			int err = errno;

			free(buf);
			return -err;
		}
		memcpy(&want, buf, sizeof(want)); /* argsz is every info struct's first field */
		if (want <= size)
			break;
		bigger = realloc(buf, want);
		if (!bigger) {
			free(buf);
			return -ENOMEM;
		}
		buf = bigger;
		/* The fixed part as the caller set it, argsz grown, zeroes after. */
		memcpy(buf, info, size);
		memset((char *)buf + size, 0, want - size);
		memcpy(buf, &want, sizeof(want));
		size = want;
	}
	*infop = buf;
	return 0;
}

const struct vfio_info_cap_header *udrv_vfio_info_cap(const void *info, uint32_t argsz,
							size_t hdr_size, uint32_t cap_offset,
							uint16_t id)
{
	uint32_t off = cap_offset;
	unsigned int n;

	for (n = 0; off && n < MAX_CAPS; n++) {
		const struct vfio_info_cap_header *h;

		if (off < hdr_size || argsz < sizeof(*h) || off > argsz - sizeof(*h))
			return NULL;
		h = (const void *)((const char *)info + off);
		if (h->id == id)
			return h;
		off = h->next;
	}
	return NULL;
}

int udrv_vfio_region_info(struct udrv_device *dev, unsigned int index,
			  struct vfio_region_info **infop)
{
	struct vfio_region_info q = { .argsz = sizeof(q), .index = index };
	int ret = udrv_vfio_info(udrv_vfio(dev)->device, VFIO_DEVICE_GET_REGION_INFO, &q,
				 sizeof(q), (void **)infop);

	if (ret)
		return udrv_err(ret, "%s: VFIO_DEVICE_GET_REGION_INFO(%u): %s", dev->name, index,
				strerror(-ret));
	return 0;
}
