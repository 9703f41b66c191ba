// SPDX-License-Identifier: MIT
/*
 * DMA pools (<udrv/dma_pool.h>): fixed-size blocks carved from pool pages,
 * each page a piece of the device's chunks (dma_chunk.c), naturally
 * aligned in both address spaces.  The block layout is the same in every
 * page: blocks @stride apart, skipping to the next @boundary where one
 * would cross it.  Each page keeps a handle per block (outside the DMA
 * memory, which the device may scribble on) and a LIFO of its free ones;
 * the pool keeps a list of the pages with free blocks.  Alloc and free are
 * a few pointer moves under the pool's lock; only growing and shrinking
 * take the device's DMA lock, after the pool's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dma_internal.h"

#define PAGE_MIN (64UL << 10)
#define PAGE_BLOCKS 32 /* a page holds at least this many blocks when it can */

struct pool_page {
	struct udrv_dma_pool *pool;
	struct udrv_dma_buf *mem;         /* the piece of a chunk */
	struct pool_page *prev, *next;    /* the pool's pages with free blocks */
	struct pool_page *all_prev, *all_next; /* all the pool's pages */
	struct udrv_dma_buf *free;        /* free blocks, linked by right */
	unsigned int nfree;
	bool listed;                      /* on the partial list */
	struct udrv_dma_buf blk[];
};

struct udrv_dma_pool {
	pthread_mutex_t lock;
	struct udrv_device *dev;
	size_t size, align, boundary, stride, page_size;
	unsigned int per_page;
	struct pool_page *partial;        /* pages with free blocks, not empty */
	struct pool_page *spare;          /* one empty page, or NULL */
	struct pool_page *all;
	size_t out;
	struct udrv_dma_pool *prev, *next; /* the device's pools */
};

static bool pow2(size_t x)
{
	return x && !(x & (x - 1));
}

/* Offset of the block after the one at @off (or of the first, @first), or @page_size. */
static size_t next_off(const struct udrv_dma_pool *p, size_t off, bool first)
{
	if (!first)
		off += p->stride;
	if (p->boundary && off / p->boundary != (off + p->size - 1) / p->boundary)
		off = (off / p->boundary + 1) * p->boundary;
	return off + p->size <= p->page_size ? off : p->page_size;
}

static void partial_add(struct udrv_dma_pool *p, struct pool_page *pg)
{
	pg->prev = NULL;
	pg->next = p->partial;
	if (pg->next)
		pg->next->prev = pg;
	p->partial = pg;
	pg->listed = true;
}

static void partial_del(struct udrv_dma_pool *p, struct pool_page *pg)
{
	if (pg->prev)
		pg->prev->next = pg->next;
	else
		p->partial = pg->next;
	if (pg->next)
		pg->next->prev = pg->prev;
	pg->listed = false;
}

/* Unhook @pg from the pool and give its memory back; the device's lock is taken here. */
static void page_release(struct udrv_dma_pool *p, struct pool_page *pg)
{
	if (pg->listed)
		partial_del(p, pg);
	if (p->spare == pg)
		p->spare = NULL;
	if (pg->all_prev)
		pg->all_prev->all_next = pg->all_next;
	else
		p->all = pg->all_next;
	if (pg->all_next)
		pg->all_next->all_prev = pg->all_prev;
	pthread_mutex_lock(&p->dev->dma.lock);
	udrv_dma_uncarve(p->dev, pg->mem);
	pthread_mutex_unlock(&p->dev->dma.lock);
	free(pg);
}

/* A new page, all its blocks free, on the partial list; under the pool's lock. */
static int page_new(struct udrv_dma_pool *p)
{
	struct udrv_device *dev = p->dev;
	struct pool_page *pg = malloc(sizeof(*pg) + p->per_page * sizeof(pg->blk[0]));
	size_t off;
	unsigned int i;
	int ret;

	if (!pg)
		return udrv_err(ENOMEM, "%s: out of memory", dev->name);
	pthread_mutex_lock(&dev->dma.lock);
	ret = udrv_dma_carve(dev, p->page_size, p->page_size, true, &pg->mem);
	pthread_mutex_unlock(&dev->dma.lock);
	if (ret) {
		free(pg);
		return ret;
	}
	pg->pool = p;
	pg->free = NULL;
	pg->nfree = p->per_page;
	/* Lowest block on top of the LIFO. */
	for (i = 0, off = next_off(p, 0, true); off < p->page_size; off = next_off(p, off, false), i++)
		pg->blk[i] = (struct udrv_dma_buf){
			.pub = { .vaddr = (char *)pg->mem->pub.vaddr + off,
				 .iova = pg->mem->pub.iova + off, .size = p->size },
			.fd = -1, .kind = UDRV_DMA_BLOCK, .owner = pg,
		};
	while (i--) {
		pg->blk[i].right = pg->free;
		pg->free = &pg->blk[i];
	}
	pg->all_prev = NULL;
	pg->all_next = p->all;
	if (pg->all_next)
		pg->all_next->all_prev = pg;
	p->all = pg;
	partial_add(p, pg);
	return 0;
}

UDRV_EXPORT int udrv_dma_pool_create(struct udrv_device *dev, size_t size, size_t align,
				     size_t boundary, struct udrv_dma_pool **poolp)
{
	struct udrv_dma_pool *p;
	size_t off;

	if (!poolp)
		return udrv_err(EINVAL, "%s: no pool pointer given", dev->name);
	*poolp = NULL;
	if (!dev->ops->dma_alloc)
		return udrv_err(ENOTSUP, "%s: the %s backend has no DMA (bind the device to vfio-pci, udrv_stub or uio_pci_generic)",
				dev->name, dev->ops->path.name);
	if (!align)
		align = 8;
	if (!size || size > UDRV_DMA_POOL_BLOCK_MAX)
		return udrv_err(EINVAL, "%s: DMA pool blocks of %zu bytes: must be 1 to %lu",
				dev->name, size, UDRV_DMA_POOL_BLOCK_MAX);
	if (!pow2(align) || align > UDRV_DMA_CHUNK_SIZE)
		return udrv_err(EINVAL, "%s: DMA pool alignment %zu: must be a power of two up to 2 MiB",
				dev->name, align);
	if (boundary && (!pow2(boundary) || boundary < size))
		return udrv_err(EINVAL, "%s: DMA pool boundary %zu: must be 0 or a power of two of at least the block size (%zu)",
				dev->name, boundary, size);
	p = calloc(1, sizeof(*p));
	if (!p)
		return udrv_err(ENOMEM, "%s: out of memory", dev->name);
	p->dev = dev;
	p->size = size;
	p->align = align;
	p->boundary = boundary;
	p->stride = (size + align - 1) & ~(align - 1);
	if (p->stride > UDRV_DMA_POOL_BLOCK_MAX) {
		free(p);
		return udrv_err(EINVAL, "%s: DMA pool blocks of %zu bytes aligned to %zu do not fit a 2 MiB chunk",
				dev->name, size, align);
	}
	/* Pages of PAGE_BLOCKS blocks or more, 64 KiB to a whole chunk, a power of two. */
	p->page_size = PAGE_MIN;
	while (p->page_size < UDRV_DMA_CHUNK_SIZE && p->page_size < p->stride * PAGE_BLOCKS)
		p->page_size <<= 1;
	for (off = next_off(p, 0, true); off < p->page_size; off = next_off(p, off, false))
		p->per_page++;
	pthread_mutex_init(&p->lock, NULL);
	pthread_mutex_lock(&dev->dma.lock);
	p->next = dev->dma.pools;
	if (p->next)
		p->next->prev = p;
	dev->dma.pools = p;
	pthread_mutex_unlock(&dev->dma.lock);
	*poolp = p;
	return 0;
}

UDRV_EXPORT int udrv_dma_pool_alloc(struct udrv_dma_pool *p, struct udrv_dma **blockp)
{
	struct pool_page *pg;
	struct udrv_dma_buf *b;
	int ret;

	if (!blockp)
		return udrv_err(EINVAL, "%s: no block pointer given", p->dev->name);
	pthread_mutex_lock(&p->lock);
	pg = p->partial;
	if (!pg && p->spare) {
		pg = p->spare;
		p->spare = NULL;
		partial_add(p, pg);
	}
	if (!pg) {
		ret = page_new(p);
		if (ret) {
			pthread_mutex_unlock(&p->lock);
			*blockp = NULL;
			return ret;
		}
		pg = p->partial;
	}
	b = pg->free;
	pg->free = b->right;
	if (!--pg->nfree)
		partial_del(p, pg);
	b->out = true;
	p->out++;
	pthread_mutex_unlock(&p->lock);
	*blockp = &b->pub;
	return 0;
}

static void block_free(struct udrv_dma_pool *p, struct udrv_dma_buf *b)
{
	struct pool_page *pg = b->owner;

	if (!b->out) {
		pthread_mutex_unlock(&p->lock);
		udrv_err(EINVAL, "%s: DMA pool block at %p freed twice", p->dev->name, b->pub.vaddr);
		return;
	}
	b->out = false;
	p->out--;
	b->right = pg->free;
	pg->free = b;
	if (++pg->nfree == 1)
		partial_add(p, pg);
	if (pg->nfree == p->per_page) {
		/* Empty: keep one such page, give the others back. */
		partial_del(p, pg);
		if (!p->spare)
			p->spare = pg;
		else
			page_release(p, pg);
	}
	pthread_mutex_unlock(&p->lock);
}

UDRV_EXPORT void udrv_dma_pool_free(struct udrv_dma_pool *p, struct udrv_dma *block)
{
	struct udrv_dma_buf *b = block ? udrv_dma_buf_of(block) : NULL;

	if (!b)
		return;
	if (b->kind != UDRV_DMA_BLOCK || ((struct pool_page *)b->owner)->pool != p) {
		udrv_err(EINVAL, "%s: %p is not a block of this DMA pool", p->dev->name, block->vaddr);
		return;
	}
	pthread_mutex_lock(&p->lock);
	block_free(p, b);
}

/* Give every page back, blocks out or not, and free @p; the pool's lock is not held. */
static void pool_release(struct udrv_dma_pool *p)
{
	struct udrv_device *dev = p->dev;

	while (p->all)
		page_release(p, p->all);
	pthread_mutex_lock(&dev->dma.lock);
	if (p->prev)
		p->prev->next = p->next;
	else
		dev->dma.pools = p->next;
	if (p->next)
		p->next->prev = p->prev;
	pthread_mutex_unlock(&dev->dma.lock);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

UDRV_EXPORT int udrv_dma_pool_destroy(struct udrv_dma_pool *p)
{
	size_t out;

	if (!p)
		return 0;
	pthread_mutex_lock(&p->lock);
	out = p->out;
	pthread_mutex_unlock(&p->lock);
	if (out)
		return udrv_err(EBUSY, "%s: DMA pool of %zu-byte blocks: %zu block%s still out: free them first",
				p->dev->name, p->size, out, out == 1 ? " is" : "s are");
	pool_release(p);
	return 0;
}

void udrv_dma_pools_release_all(struct udrv_device *dev)
{
	while (dev->dma.pools)
		pool_release(dev->dma.pools);
}
