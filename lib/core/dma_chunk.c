// SPDX-License-Identifier: MIT
/*
 * Small DMA buffers carved from per-device chunks: a buddy allocator over
 * 2 MiB pieces of the path's DMA memory (a huge page on UIO, one VFIO
 * mapping, one udrv_stub coherent buffer), each mapped once.  A request
 * of up to UDRV_DMA_CARVE_MAX bytes takes the smallest free block of a
 * power-of-two number of pages that holds it, splitting larger ones;
 * freeing merges a block with its free buddy.  Both are O(log pages per
 * chunk), 10 steps at most with 4 KiB pages, plus O(1) list work.
 *
 * A chunk's vaddr and device address are both multiples of the chunk size
 * (the backends deliver them so; a chunk that is not is refused), so a
 * block of 2^k pages at a multiple of 2^k pages is aligned to its size in
 * both spaces.
 *
 * A freed block first goes onto a short per-order "quick" list (up to
 * QUICK_DEPTH blocks of each order) without merging, and the next request
 * of that order takes it back from there: a steady alloc/free pair is then
 * a few pointer moves instead of splitting a 2 MiB block down to a page
 * and merging it back up (9 levels each way).  Quick blocks are flushed
 * into the buddy lists when their chunk empties or is trimmed.
 *
 * A chunk stays mapped until every block in it is free; then it is
 * released, except one empty chunk per device, kept for the next request
 * (udrv_dma_chunks_trim() lets it go).  Per page a chunk keeps the handle
 * of the block starting there, so handing out a piece allocates nothing.
 * Everything here runs under the device's DMA lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dma_internal.h"

#define ORDERS 16
#define QUICK_DEPTH 32

enum { INSIDE, FREE, USED, QUICK };

struct chunk {
	struct udrv_dma_buf buf;        /* first: kind CHUNK, filed in the tree */
	struct udrv_device *dev;
	struct chunk *next, *prev;      /* the device's chunks */
	unsigned int npages, max_order;
	unsigned int used;              /* pages in blocks handed out */
	unsigned int quick;             /* pages in this chunk's blocks on the quick lists */
	bool retired;                   /* above a newer mask: no new pieces */
	uint8_t *order;                 /* per page: order of the block starting here */
	uint8_t *state;                 /* per page: INSIDE, FREE or USED */
	struct udrv_dma_buf *piece;     /* per page: the handle of the block starting here */
};

struct udrv_dma_chunks {
	struct chunk *list;
	size_t n, nempty;
	unsigned int pgshift;
	struct udrv_dma_buf *free[ORDERS]; /* free blocks by order, linked by left/right */
	struct udrv_dma_buf *quick[ORDERS]; /* freed blocks not merged yet, linked by right */
	unsigned int nquick[ORDERS];
};

static struct chunk *chunk_of(const struct udrv_dma_buf *piece)
{
	return piece->owner;
}

static size_t index_of(const struct chunk *c, const struct udrv_dma_buf *piece)
{
	return (size_t)(piece - c->piece);
}

static void push(struct udrv_dma_chunks *s, struct chunk *c, size_t i, unsigned int k)
{
	struct udrv_dma_buf *p = &c->piece[i];

	c->order[i] = (uint8_t)k;
	c->state[i] = FREE;
	if (c->retired)
		return;
	p->left = NULL;
	p->right = s->free[k];
	if (p->right)
		p->right->left = p;
	s->free[k] = p;
}

static void unlink_free(struct udrv_dma_chunks *s, struct chunk *c, size_t i)
{
	struct udrv_dma_buf *p = &c->piece[i];

	c->state[i] = INSIDE;
	if (c->retired)
		return;
	if (p->left)
		p->left->right = p->right;
	else
		s->free[c->order[i]] = p->right;
	if (p->right)
		p->right->left = p->left;
}

static void chunk_release(struct udrv_device *dev, struct chunk *c)
{
	struct udrv_dma_chunks *s = dev->dma.chunks;

	if (c->state[0] == FREE && c->order[0] == c->max_order)
		unlink_free(s, c, 0);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->list = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->n--;
	if (c->used == c->quick)
		s->nempty--;
	udrv_dma_tree_remove(&dev->dma.tree, &c->buf);
	/* Teardown: nobody to tell; the backend keeps a failed unmap's address reserved. */
	dev->ops->dma_free(dev, &c->buf);
	free(c->order);
	free(c->state);
	free(c->piece);
	free(c);
}

static int chunk_new(struct udrv_device *dev, struct chunk **cp)
{
	struct udrv_dma_chunks *s = dev->dma.chunks;
	unsigned int npages = (unsigned int)(UDRV_DMA_CHUNK_SIZE >> s->pgshift), i;
	struct chunk *c = calloc(1, sizeof(*c));
	int ret;

	if (!c)
		return udrv_err(ENOMEM, "%s: out of memory", dev->name);
	c->buf = (struct udrv_dma_buf){ .fd = -1, .kind = UDRV_DMA_CHUNK, .owner = c };
	c->dev = dev;
	ret = dev->ops->dma_alloc(dev, UDRV_DMA_CHUNK_SIZE, &c->buf);
	if (ret) {
		free(c);
		return ret;
	}
	if (c->buf.pub.size < UDRV_DMA_CHUNK_SIZE ||
	    (((uintptr_t)c->buf.pub.vaddr | c->buf.pub.iova) & (UDRV_DMA_CHUNK_SIZE - 1)))
		ret = udrv_err(ENOTSUP, "%s: the %s backend gave a %zu-byte DMA chunk at %p, device address 0x%llx: not 2 MiB-aligned in both",
			       dev->name, dev->ops->path.name, c->buf.pub.size, c->buf.pub.vaddr,
			       (unsigned long long)c->buf.pub.iova);
	else
		ret = udrv_dma_tree_insert_new(&dev->dma.tree, &c->buf);
	if (ret == -EEXIST)
		ret = udrv_err(EEXIST, "%s: new DMA chunk at %p overlaps a DMA buffer whose memory was unmapped without udrv_dma_free()",
			       dev->name, c->buf.pub.vaddr);
	else if (ret == -ENOMEM)
		ret = udrv_err(ENOMEM, "%s: out of memory", dev->name);
	if (!ret) {
		c->npages = npages;
		c->max_order = (unsigned int)__builtin_ctz(npages);
		c->order = calloc(npages, 1);
		c->state = calloc(npages, 1);
		c->piece = calloc(npages, sizeof(*c->piece));
		if (!c->order || !c->state || !c->piece) {
			udrv_dma_tree_remove(&dev->dma.tree, &c->buf);
			ret = udrv_err(ENOMEM, "%s: out of memory", dev->name);
		}
	}
	if (ret) {
		dev->ops->dma_free(dev, &c->buf);
		free(c->order);
		free(c->state);
		free(c->piece);
		free(c);
		return ret;
	}
	for (i = 0; i < npages; i++)
		c->piece[i] = (struct udrv_dma_buf){
			.pub = { .vaddr = (char *)c->buf.pub.vaddr + ((size_t)i << s->pgshift),
				 .iova = c->buf.pub.iova + ((uint64_t)i << s->pgshift) },
			.fd = -1, .kind = UDRV_DMA_PIECE, .owner = c,
		};
	c->next = s->list;
	if (c->next)
		c->next->prev = c;
	s->list = c;
	s->n++;
	s->nempty++;
	push(s, c, 0, c->max_order);
	*cp = c;
	return 0;
}

static unsigned int order_for(unsigned int pgshift, size_t len)
{
	size_t pages = (len + ((size_t)1 << pgshift) - 1) >> pgshift;

	return pages <= 1 ? 0 : (unsigned int)(64 - __builtin_clzll(pages - 1));
}

int udrv_dma_carve(struct udrv_device *dev, size_t len, size_t align, bool grow,
		   struct udrv_dma_buf **bufp)
{
	struct udrv_dma_chunks *s = dev->dma.chunks;
	struct udrv_dma_buf *p = NULL;
	struct chunk *c = NULL;
	unsigned int k, j, ka;
	size_t i;
	int ret;

	if (len > UDRV_DMA_CHUNK_SIZE || align > UDRV_DMA_CHUNK_SIZE)
		return -E2BIG;
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return udrv_err(ENOMEM, "%s: out of memory", dev->name);
		s->pgshift = (unsigned int)__builtin_ctz((unsigned int)getpagesize());
		dev->dma.chunks = s;
	}
	k = order_for(s->pgshift, len);
	ka = order_for(s->pgshift, align);
	k = ka > k ? ka : k;
	if (k < ORDERS && (p = s->quick[k])) {
		c = chunk_of(p);
		s->quick[k] = p->right;
		s->nquick[k]--;
		if (c->used == c->quick)
			s->nempty--;
		c->quick -= 1u << k;
		c->state[index_of(c, p)] = USED;
		goto out;
	}
	for (j = k; j < ORDERS && !(p = s->free[j]); j++)
		;
	if (p) {
		c = chunk_of(p);
	} else if (!grow) {
		return -EAGAIN;
	} else {
		ret = chunk_new(dev, &c);
		if (ret)
			return ret;
		j = c->max_order;
		p = &c->piece[0];
	}
	i = index_of(c, p);
	unlink_free(s, c, i);
	/* Split: the upper halves stay free. */
	while (j > k) {
		j--;
		push(s, c, i + ((size_t)1 << j), j);
	}
	if (c->used == c->quick)
		s->nempty--;
	c->order[i] = (uint8_t)k;
	c->state[i] = USED;
	c->used += 1u << k;
out:
	p->pub.size = (len + ((size_t)1 << s->pgshift) - 1) & ~(((size_t)1 << s->pgshift) - 1);
	p->out = true;
	*bufp = p;
	return 0;
}

/* Give block @i of @c (handed out or quick, order k) back to the buddy lists, merging. */
static void merge(struct udrv_dma_chunks *s, struct chunk *c, size_t i)
{
	unsigned int k = c->order[i];

	/* Merge with the buddy while it is a free block of the same order. */
	while (k < c->max_order) {
		size_t b = i ^ ((size_t)1 << k);

		if (c->state[b] != FREE || c->order[b] != k)
			break;
		unlink_free(s, c, b);
		c->state[i] = INSIDE;
		i = i < b ? i : b;
		k++;
	}
	push(s, c, i, k);
}

/* Merge @c's quick blocks (every chunk's if @c is NULL) into the buddy lists. */
static void flush_quick(struct udrv_dma_chunks *s, struct chunk *c)
{
	unsigned int k;

	for (k = 0; k < ORDERS; k++) {
		struct udrv_dma_buf **link = &s->quick[k], *p;

		while ((p = *link)) {
			struct chunk *pc = chunk_of(p);

			if (c && pc != c) {
				link = &p->right;
				continue;
			}
			*link = p->right;
			s->nquick[k]--;
			pc->quick -= 1u << k;
			pc->used -= 1u << k;
			merge(s, pc, index_of(pc, p));
		}
	}
}

void udrv_dma_uncarve(struct udrv_device *dev, struct udrv_dma_buf *piece)
{
	struct udrv_dma_chunks *s = dev->dma.chunks;
	struct chunk *c = chunk_of(piece);
	size_t i = index_of(c, piece);
	unsigned int k = c->order[i];

	piece->out = false;
	if (!c->retired && s->nquick[k] < QUICK_DEPTH) {
		/* Kept whole for the next request of its order; still counted in used. */
		c->state[i] = QUICK;
		piece->right = s->quick[k];
		s->quick[k] = piece;
		s->nquick[k]++;
		c->quick += 1u << k;
	} else {
		c->used -= 1u << k;
		merge(s, c, i);
	}
	if (c->used != c->quick)
		return;
	/* Nothing of the chunk is out any more. */
	s->nempty++;
	if (c->retired || s->nempty > 1) {
		flush_quick(s, c);
		chunk_release(dev, c);
	}
}

void udrv_dma_chunks_trim(struct udrv_device *dev, bool all)
{
	struct udrv_dma_chunks *s = dev->dma.chunks;
	struct chunk *c, *next;

	if (!s)
		return;
	flush_quick(s, NULL);
	for (c = s->list; c && s->nempty > (all ? 0 : 1); c = next) {
		next = c->next;
		if (!c->used)
			chunk_release(dev, c);
	}
}

void udrv_dma_chunks_mask_changed(struct udrv_device *dev)
{
	struct udrv_dma_chunks *s = dev->dma.chunks;
	uint64_t limit = udrv_dma_limit(dev);
	struct chunk *c;
	size_t i;

	if (!s)
		return;
	flush_quick(s, NULL);
	for (c = s->list; c; c = c->next) {
		if (c->retired || c->buf.pub.iova + UDRV_DMA_CHUNK_SIZE - 1 <= limit)
			continue;
		/* Off the free lists: the chunk lives on until its pieces come back. */
		for (i = 0; i < c->npages; i++)
			if (c->state[i] == FREE) {
				unlink_free(s, c, i);
				c->state[i] = FREE;
			}
		c->retired = true;
	}
	udrv_dma_chunks_trim(dev, true);
}

void udrv_dma_chunks_release_all(struct udrv_device *dev)
{
	struct udrv_dma_chunks *s = dev->dma.chunks;

	struct chunk *c;

	if (!s)
		return;
	/* Pieces still out die with the device: no list work on the way. */
	for (c = s->list; c; c = c->next) {
		c->retired = true;
		if (c->used != c->quick)
			s->nempty++;
		c->used = c->quick = 0;
	}
	memset(s->free, 0, sizeof(s->free));
	memset(s->quick, 0, sizeof(s->quick));
	while (s->list)
		chunk_release(dev, s->list);
	free(s);
	dev->dma.chunks = NULL;
}

struct udrv_dma_buf *udrv_dma_chunk_piece(struct udrv_dma_buf *chunk, const struct udrv_dma *pub)
{
	struct chunk *c = chunk->owner;
	uintptr_t p = (uintptr_t)pub, lo = (uintptr_t)c->piece;
	size_t i;

	if (p < lo || p >= lo + c->npages * sizeof(c->piece[0]) || (p - lo) % sizeof(c->piece[0]))
		return NULL;
	i = (p - lo) / sizeof(c->piece[0]);
	return c->state[i] == USED ? &c->piece[i] : NULL;
}

size_t udrv_dma_chunks_count(struct udrv_device *dev)
{
	return dev->dma.chunks ? dev->dma.chunks->n : 0;
}
