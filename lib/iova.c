// SPDX-License-Identifier: MIT
/* IOVA space allocator; see iova.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iova.h"

static int reserve(struct udrv_iova_space *s, size_t want)
{
	struct udrv_range *bigger;
	size_t cap;

	if (want <= s->cap)
		return 0;
	cap = s->cap ? s->cap * 2 : 16;
	while (cap < want)
		cap *= 2;
	bigger = realloc(s->free, cap * sizeof(*bigger));
	if (!bigger)
		return -ENOMEM;
	s->free = bigger;
	s->cap = cap;
	return 0;
}

/* Insert extent @r at index @i (the caller keeps the array sorted). */
static int insert_at(struct udrv_iova_space *s, size_t i, struct udrv_range r)
{
	int ret = reserve(s, s->nfree + 1);

	if (ret)
		return ret;
	memmove(&s->free[i + 1], &s->free[i], (s->nfree - i) * sizeof(*s->free));
	s->free[i] = r;
	s->nfree++;
	return 0;
}

static void remove_at(struct udrv_iova_space *s, size_t i)
{
	memmove(&s->free[i], &s->free[i + 1], (s->nfree - i - 1) * sizeof(*s->free));
	s->nfree--;
}

/* Index of the first extent that starts at or after @addr. */
static size_t lower_bound(const struct udrv_iova_space *s, uint64_t addr)
{
	size_t lo = 0, hi = s->nfree;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->free[mid].offset < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

int udrv_iova_init(struct udrv_iova_space *s, const struct udrv_range *usable, size_t n,
		   uint64_t mask, uint64_t page)
{
	size_t i;
	int ret;

	memset(s, 0, sizeof(*s));
	if (!is_pow2(page))
		return -EINVAL;
	s->page = page;
	for (i = 0; i < n; i++) {
		uint64_t start = usable[i].offset, last;

		if (!usable[i].size)
			continue;
		last = start + usable[i].size - 1;
		if (last < start)
			last = UINT64_MAX;
		if (last > mask)
			last = mask;
		if (last == UINT64_MAX)
			last -= page; /* keep start + size representable */
		if (start < page)
			start = page;
		start = (start + page - 1) & ~(page - 1);
		if (start > last || last - start + 1 < page)
			continue;
		/* Freeing a range inserts it sorted and merges touching ranges. */
		ret = udrv_iova_free(s, start, ((last - start + 1) / page) * page);
		if (ret) {
			udrv_iova_destroy(s);
			return ret;
		}
	}
	if (!s->nfree) {
		udrv_iova_destroy(s);
		return -ENOSPC;
	}
	return 0;
}

void udrv_iova_destroy(struct udrv_iova_space *s)
{
	free(s->free);
	memset(s, 0, sizeof(*s));
}

int udrv_iova_alloc(struct udrv_iova_space *s, uint64_t size, uint64_t align, uint64_t *iova)
{
	return udrv_iova_alloc_below(s, size, align, UINT64_MAX, iova);
}

int udrv_iova_alloc_below(struct udrv_iova_space *s, uint64_t size, uint64_t align,
			  uint64_t limit, uint64_t *iova)
{
	size_t i;

	if (!size || !is_pow2(align) || align < s->page || size > UINT64_MAX - s->page)
		return -EINVAL;
	size = (size + s->page - 1) & ~(s->page - 1);
	for (i = 0; i < s->nfree; i++) {
		struct udrv_range *f = &s->free[i];
		uint64_t start = (f->offset + align - 1) & ~(align - 1);
		uint64_t end = f->offset + f->size;

		if (start < f->offset || start >= end || end - start < size)
			continue;
		/* Extents are sorted: if this one is too high, all later ones are. */
		if (start + size - 1 > limit)
			return -ENOSPC;
		*iova = start;
		/* Split: what is left before and after the allocation stays free. */
		if (start + size < end) {
			struct udrv_range tail = { start + size, end - start - size };

			if (start > f->offset) {
				f->size = start - f->offset;
				return insert_at(s, i + 1, tail);
			}
			*f = tail;
		} else if (start > f->offset) {
			f->size = start - f->offset;
		} else {
			remove_at(s, i);
		}
		return 0;
	}
	return -ENOSPC;
}

int udrv_iova_free(struct udrv_iova_space *s, uint64_t iova, uint64_t size)
{
	struct udrv_range r;
	size_t i;
	int merge_prev, merge_next;

	if (!size || (iova & (s->page - 1)) || size > UINT64_MAX - iova)
		return -EINVAL;
	size = (size + s->page - 1) & ~(s->page - 1);
	r.offset = iova;
	r.size = size;
	i = lower_bound(s, iova);
	/* Overlap with a free neighbour means a double free. */
	if (i > 0 && s->free[i - 1].offset + s->free[i - 1].size > iova)
		return -EINVAL;
	if (i < s->nfree && s->free[i].offset < iova + size)
		return -EINVAL;
	merge_prev = i > 0 && s->free[i - 1].offset + s->free[i - 1].size == iova;
	merge_next = i < s->nfree && s->free[i].offset == iova + size;
	if (merge_prev && merge_next) {
		s->free[i - 1].size += size + s->free[i].size;
		remove_at(s, i);
	} else if (merge_prev) {
		s->free[i - 1].size += size;
	} else if (merge_next) {
		s->free[i].offset = iova;
		s->free[i].size += size;
	} else {
		return insert_at(s, i, r);
	}
	return 0;
}

uint64_t udrv_iova_free_bytes(const struct udrv_iova_space *s)
{
	uint64_t total = 0;
	size_t i;

	for (i = 0; i < s->nfree; i++)
		total += s->free[i].size;
	return total;
}
