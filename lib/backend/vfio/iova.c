// SPDX-License-Identifier: MIT
/*
 * IOVA space allocator; see iova.h.  The free extents live in an augmented
 * AVL tree (iova_tree.c); this file is the allocator's rules on top of it:
 * page rounding, splitting an extent around an allocation, merging a freed
 * range with its neighbours, rejecting double frees.  A node is taken
 * before anything changes, so -ENOMEM leaves the space as it was.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "iova.h"

/* Nodes come in page-sized chunks, each node one cache line. */
#define CHUNK_NODES 63

struct udrv_iova_chunk {
	struct udrv_iova_chunk *next;
	_Alignas(64) struct udrv_iova_node node[CHUNK_NODES];
};

_Static_assert(sizeof(struct udrv_iova_node) == 64, "an IOVA tree node is one cache line");

/*
 * Keep @n for the next extent.  Nodes go back to the system only in
 * udrv_iova_destroy(): a space keeps one per extent it ever had at once.
 */
static void put_node(struct udrv_iova_space *s, struct udrv_iova_node *n)
{
	n->right = s->spare;
	s->spare = n;
}

/* A node for a new extent: a spare one, or one of a fresh chunk. */
static struct udrv_iova_node *get_node(struct udrv_iova_space *s)
{
	struct udrv_iova_node *n = s->spare;

	if (!n) {
		struct udrv_iova_chunk *c = aligned_alloc(64, sizeof(*c));
		int i;

		if (!c)
			return NULL;
		c->next = s->chunks;
		s->chunks = c;
		for (i = CHUNK_NODES - 1; i >= 0; i--)
			put_node(s, &c->node[i]);
		n = s->spare;
	}
	s->spare = n->right;
	return n;
}

static int is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

static int tree_free(struct udrv_iova_space *s, uint64_t iova, uint64_t size);

int udrv_iova_init(struct udrv_iova_space *s, const struct udrv_range *usable, size_t n,
		   uint64_t mask, uint64_t page)
{
	size_t i;
	int ret;

	memset(s, 0, sizeof(*s));
	if (!is_pow2(page))
		return -EINVAL;
	s->page = page;
	s->tree.shift = (unsigned int)__builtin_ctzll(page);
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
		/* Freeing a range inserts it in order and merges touching ranges. */
		ret = tree_free(s, start, ((last - start + 1) / page) * page);
		if (ret) {
			udrv_iova_destroy(s);
			return ret;
		}
	}
	if (!s->nfree) {
		udrv_iova_destroy(s);
		return -ENOSPC;
	}
	/* Without the cache's memory the space still works: exact, uncached. */
	udrv_iova_set_fast(s, true, true);
	return 0;
}

void udrv_iova_destroy(struct udrv_iova_space *s)
{
	free(s->cache);
	while (s->chunks) {
		struct udrv_iova_chunk *c = s->chunks;

		s->chunks = c->next;
		free(c);
	}
	memset(s, 0, sizeof(*s));
}

int udrv_iova_alloc(struct udrv_iova_space *s, uint64_t size, uint64_t align, uint64_t *iova)
{
	return udrv_iova_alloc_below(s, size, align, UINT64_MAX, iova);
}

/* First fit in the tree; @size already page-rounded, arguments checked. */
static int tree_alloc(struct udrv_iova_space *s, uint64_t size, uint64_t align, uint64_t limit,
		      uint64_t *iova)
{
	struct udrv_iova_node *f, *tail;
	uint64_t at, end;

	f = udrv_iova_tree_first_fit(&s->tree, size, align, limit, &at);
	/* The lowest fit is too high: so is every other. */
	if (!f || at + size - 1 > limit)
		return -ENOSPC;
	end = f->start + f->size;
	/* Split: what is left before and after the allocation stays free. */
	if (at > f->start && at + size < end) {
		tail = get_node(s);
		if (!tail)
			return -ENOMEM;
		f->size = at - f->start;
		tail->start = at + size;
		tail->size = end - tail->start;
		udrv_iova_tree_insert_after(&s->tree, tail, f);
		s->nfree++;
	} else if (at > f->start) {
		f->size = at - f->start;
	} else if (at + size < end) {
		f->start = at + size;
		f->size = end - f->start;
	} else {
		udrv_iova_tree_remove(&s->tree, f);
		put_node(s, f);
		s->nfree--;
		f = NULL;
	}
	/* f shrank in place: the next request like this one need not look into it. */
	if (f)
		udrv_iova_tree_shrunk(&s->tree, f, align);
	s->free_bytes -= size;
	*iova = at;
	return 0;
}

/* Merge [iova, iova + size) into the tree; arguments checked, @size page-rounded. */
static int tree_free(struct udrv_iova_space *s, uint64_t iova, uint64_t size)
{
	struct udrv_iova_node *below, *above, *n;

	udrv_iova_tree_around(&s->tree, iova, &below, &above);
	/* Overlap with a free neighbour means a double free. */
	if (below && below->start + below->size > iova)
		return -EINVAL;
	if (above && above->start - iova < size)
		return -EINVAL;
	if (below && below->start + below->size == iova) {
		if (above && above->start == iova + size) {
			/* Fills the gap: the extent above joins the one below. */
			udrv_iova_tree_remove(&s->tree, above);
			below->size += above->size;
			put_node(s, above);
			s->nfree--;
		}
		below->size += size;
		udrv_iova_tree_grown(&s->tree, below);
	} else if (above && above->start == iova + size) {
		above->start = iova;
		above->size += size;
		udrv_iova_tree_grown(&s->tree, above);
	} else {
		n = get_node(s);
		if (!n)
			return -ENOMEM;
		n->start = iova;
		n->size = size;
		udrv_iova_tree_insert_after(&s->tree, n, below);
		s->nfree++;
	}
	s->free_bytes += size;
	return 0;
}

/* Empty the cache into the tree (as far as nodes allow). */
static void flush(struct udrv_iova_space *s)
{
	unsigned int c;

	for (c = 0; s->cache && c < UDRV_IOVA_CACHE_PAGES; c++)
		while (s->cache->n[c]) {
			uint64_t size = (uint64_t)(c + 1) * s->page;

			if (tree_free(s, s->cache->iova[c][s->cache->n[c] - 1], size))
				return;
			s->cache->n[c]--;
			s->cached_bytes -= size;
		}
}

static void unreserve(struct udrv_iova_space *s)
{
	if (s->base_size && !tree_free(s, s->base_start, s->base_size))
		s->base_size = 0;
}

static uint64_t random64(void)
{
	uint64_t r;
	struct timespec ts;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) == (ssize_t)sizeof(r))
		return r;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)getpid() << 32);
}

/* Set a random number of pages aside at the bottom of the lowest extent. */
static void reserve(struct udrv_iova_space *s)
{
	struct udrv_iova_node *n = udrv_iova_tree_nth(&s->tree, 0);
	uint64_t pages = random64() % (UDRV_IOVA_BASE_SPAN / s->page), at;

	/* Only where the extent keeps room beyond it: a small space stays whole. */
	if (!n || !pages || n->size < 2 * UDRV_IOVA_BASE_SPAN)
		return;
	if (!tree_alloc(s, pages * s->page, s->page, UINT64_MAX, &at)) {
		s->base_start = at;
		s->base_size = pages * s->page;
	}
}

int udrv_iova_set_fast(struct udrv_iova_space *s, bool cache, bool rotate)
{
	int ret = 0;

	if (!cache && s->cache) {
		flush(s);
		if (!s->cached_bytes) {
			free(s->cache);
			s->cache = NULL;
		}
	} else if (cache && !s->cache) {
		s->cache = calloc(1, sizeof(*s->cache));
		if (!s->cache)
			ret = -ENOMEM;
	}
	if (!rotate)
		unreserve(s);
	else if (!s->base_size)
		reserve(s);
	return ret;
}

int udrv_iova_alloc_below(struct udrv_iova_space *s, uint64_t size, uint64_t align,
			  uint64_t limit, uint64_t *iova)
{
	uint64_t pages;
	int ret;

	if (!size || !is_pow2(align) || align < s->page || size > UINT64_MAX - s->page)
		return -EINVAL;
	size = (size + s->page - 1) & ~(s->page - 1);
	pages = size / s->page;
	if (s->cache && pages <= UDRV_IOVA_CACHE_PAGES && s->cache->n[pages - 1]) {
		unsigned int c = (unsigned int)pages - 1;
		uint64_t v = s->cache->iova[c][s->cache->n[c] - 1];

		/* The most recently freed one of this size, if it suits: no descent. */
		if (!(v & (align - 1)) && v + size - 1 <= limit) {
			s->cache->n[c]--;
			s->cached_bytes -= size;
			*iova = v;
			return 0;
		}
	}
	ret = tree_alloc(s, size, align, limit, iova);
	if (ret == -ENOSPC && (s->cached_bytes || s->base_size)) {
		flush(s);
		unreserve(s);
		ret = tree_alloc(s, size, align, limit, iova);
	}
	return ret;
}

int udrv_iova_free(struct udrv_iova_space *s, uint64_t iova, uint64_t size)
{
	uint64_t pages;

	if (!size || (iova & (s->page - 1)) || size > UINT64_MAX - (s->page - 1))
		return -EINVAL;
	size = (size + s->page - 1) & ~(s->page - 1);
	if (size > UINT64_MAX - iova)
		return -EINVAL;
	pages = size / s->page;
	if (s->cache && pages <= UDRV_IOVA_CACHE_PAGES &&
	    s->cache->n[pages - 1] < UDRV_IOVA_CACHE_DEPTH) {
		s->cache->iova[pages - 1][s->cache->n[pages - 1]++] = iova;
		s->cached_bytes += size;
		return 0;
	}
	return tree_free(s, iova, size);
}

uint64_t udrv_iova_free_bytes(const struct udrv_iova_space *s)
{
	return s->free_bytes + s->cached_bytes + s->base_size;
}

size_t udrv_iova_extents(const struct udrv_iova_space *s)
{
	return s->nfree;
}

int udrv_iova_extent(const struct udrv_iova_space *s, size_t i, struct udrv_range *r)
{
	const struct udrv_iova_node *n = udrv_iova_tree_nth(&s->tree, i);

	if (!n)
		return -ENOENT;
	r->offset = n->start;
	r->size = n->size;
	return 0;
}

/* Cached ranges and the reservation: counted right, and none overlapping a free extent. */
static const char *check_cache(const struct udrv_iova_space *s)
{
	struct udrv_iova_node *below, *above;
	uint64_t total = 0;
	unsigned int c, i;

	for (c = 0; s->cache && c < UDRV_IOVA_CACHE_PAGES; c++)
		for (i = 0; i < s->cache->n[c]; i++) {
			uint64_t v = s->cache->iova[c][i], size = (uint64_t)(c + 1) * s->page;

			udrv_iova_tree_around(&s->tree, v, &below, &above);
			if ((below && below->start + below->size > v) ||
			    (above && above->start < v + size))
				return "a cached IOVA is also free in the tree";
			total += size;
		}
	if (total != s->cached_bytes)
		return "the cached byte count is wrong";
	if (s->base_size) {
		udrv_iova_tree_around(&s->tree, s->base_start, &below, &above);
		if ((below && below->start + below->size > s->base_start) ||
		    (above && above->start < s->base_start + s->base_size))
			return "the rotating base's reservation is also free in the tree";
	}
	return NULL;
}

const char *udrv_iova_check(const struct udrv_iova_space *s)
{
	uint64_t count, total;
	const char *err = udrv_iova_tree_check(&s->tree, &count, &total);

	if (err)
		return err;
	if (count != s->nfree)
		return "the extent count is wrong";
	if (total != s->free_bytes)
		return "the free byte count is wrong";
	return check_cache(s);
}
