// SPDX-License-Identifier: MIT
/*
 * The table of access paths: one entry per backend, listed once in
 * lib/backend/backends.def, each entry defined in its backend's folder.
 * Everything that needs to know which driver means which backend, or which
 * modules a driver needs, asks here.
 */
#include <string.h>

#include "udrv_internal.h"

#define UDRV_BACKEND(name) extern const struct udrv_backend_ops udrv_##name##_ops;
#include "backends.def"
#undef UDRV_BACKEND

/* In enum udrv_backend order: entry i is backend i + 1. */
static const struct udrv_backend_ops *const backends[] = {
#define UDRV_BACKEND(name) &udrv_##name##_ops,
#include "backends.def"
#undef UDRV_BACKEND
};

const struct udrv_backend_ops *udrv_backend_ops(enum udrv_backend kind)
{
	if (kind < 1 || (size_t)kind > UDRV_ARRAY_SIZE(backends))
		return NULL;
	return backends[kind - 1];
}

/* Does @driver belong to @family: "vfio" in "vfio-pci", "mlx5_vfio_pci"? */
static bool in_family(const char *driver, const char *family)
{
	return family && strstr(driver, family);
}

const struct udrv_backend_ops *udrv_backend_for_driver(const char *driver)
{
	const struct udrv_backend_ops *any = NULL;
	size_t i;

	if (driver && *driver) {
		for (i = 0; i < UDRV_ARRAY_SIZE(backends); i++)
			if (backends[i]->path.driver && !strcmp(driver, backends[i]->path.driver))
				return backends[i];
		for (i = 0; i < UDRV_ARRAY_SIZE(backends); i++)
			if (in_family(driver, backends[i]->path.family))
				return backends[i];
	}
	for (i = 0; i < UDRV_ARRAY_SIZE(backends) && !any; i++)
		if (!backends[i]->path.driver)
			any = backends[i];
	return any;
}

UDRV_EXPORT const struct udrv_access_path *udrv_access_path(enum udrv_backend backend)
{
	const struct udrv_backend_ops *ops = udrv_backend_ops(backend);

	return ops ? &ops->path : NULL;
}

UDRV_EXPORT const struct udrv_access_path *udrv_access_path_by_name(const char *name)
{
	size_t i;

	for (i = 0; name && i < UDRV_ARRAY_SIZE(backends); i++)
		if (!strcmp(name, backends[i]->path.name))
			return &backends[i]->path;
	return NULL;
}

UDRV_EXPORT const struct udrv_access_path *udrv_access_path_for_driver(const char *driver)
{
	return &udrv_backend_for_driver(driver)->path;
}

UDRV_EXPORT const char *udrv_backend_name(enum udrv_backend backend)
{
	const struct udrv_backend_ops *ops = udrv_backend_ops(backend);

	if (backend == UDRV_BACKEND_AUTO)
		return "auto";
	return ops ? ops->path.name : "?";
}
