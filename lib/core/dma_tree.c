// SPDX-License-Identifier: MIT
/*
 * A device's DMA buffers by address: an intrusive treap (a binary search
 * tree on vaddr whose nodes also obey a heap order on random priorities,
 * which keeps it balanced in expectation).  Insert, remove and lookup are
 * O(log n) with no allocation, so a driver with 200,000 buffers frees them
 * in any order as fast as one with ten (see tests/bench/dma_overhead.c).
 * Buffers never overlap: udrv_dma_tree_insert_new() refuses one that would,
 * in the same descent that files it (the neighbours of a new node are on
 * its way down); udrv_dma_tree_insert() leaves that to the caller.
 */
#include <errno.h>

#include "dma_internal.h"

static uintptr_t start(const struct udrv_dma_buf *b)
{
	return (uintptr_t)b->pub.vaddr;
}

/* xorshift32: priorities need only be distinct-ish and unpredictable to inputs. */
static uint32_t next_prio(void)
{
	static __thread uint32_t x = 2463534242u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

static struct udrv_dma_buf *rotate_right(struct udrv_dma_buf *t)
{
	struct udrv_dma_buf *l = t->left;

	t->left = l->right;
	l->right = t;
	return l;
}

static struct udrv_dma_buf *rotate_left(struct udrv_dma_buf *t)
{
	struct udrv_dma_buf *r = t->right;

	t->right = r->left;
	r->left = t;
	return r;
}

static struct udrv_dma_buf *insert(struct udrv_dma_buf *t, struct udrv_dma_buf *b)
{
	if (!t)
		return b;
	if (start(b) < start(t)) {
		t->left = insert(t->left, b);
		if (t->left->prio > t->prio)
			t = rotate_right(t);
	} else {
		t->right = insert(t->right, b);
		if (t->right->prio > t->prio)
			t = rotate_left(t);
	}
	return t;
}

void udrv_dma_tree_insert(struct udrv_dma_buf **root, struct udrv_dma_buf *b)
{
	b->left = b->right = NULL;
	b->prio = next_prio();
	*root = insert(*root, b);
}

/*
 * Insert @b below @t unless it overlaps a buffer: @below_end is the end of
 * the closest buffer below @b on the way down, @above_start the start of
 * the closest one above.  On a clash nothing changes.
 */
static struct udrv_dma_buf *insert_new(struct udrv_dma_buf *t, struct udrv_dma_buf *b,
				       uintptr_t below_end, uintptr_t above_start, bool *clash)
{
	struct udrv_dma_buf *c;

	if (!t) {
		*clash = below_end > start(b) || above_start < start(b) + b->pub.size;
		return *clash ? NULL : b;
	}
	if (start(b) < start(t)) {
		c = insert_new(t->left, b, below_end, start(t), clash);
		if (*clash)
			return t;
		t->left = c;
		if (c->prio > t->prio)
			t = rotate_right(t);
	} else {
		c = insert_new(t->right, b, start(t) + t->pub.size, above_start, clash);
		if (*clash)
			return t;
		t->right = c;
		if (c->prio > t->prio)
			t = rotate_left(t);
	}
	return t;
}

int udrv_dma_tree_insert_new(struct udrv_dma_buf **root, struct udrv_dma_buf *b)
{
	struct udrv_dma_buf **path[96], **link = root, *t;
	uintptr_t lo = start(b), below_end = 0, above_start = UINTPTR_MAX;
	size_t d = 0;
	bool clash = false;

	b->left = b->right = NULL;
	b->prio = next_prio();
	/* Iterative: down to b's leaf, remembering the way and the two neighbours. */
	while ((t = *link)) {
		if (d == UDRV_ARRAY_SIZE(path)) {
			/* Deeper than a treap ever gets in practice: the recursive way. */
			*root = insert_new(*root, b, 0, UINTPTR_MAX, &clash);
			return clash ? -EEXIST : 0;
		}
		path[d++] = link;
		if (lo < start(t)) {
			above_start = start(t);
			link = &t->left;
		} else {
			below_end = start(t) + t->pub.size;
			link = &t->right;
		}
	}
	if (below_end > lo || above_start < lo + b->pub.size)
		return -EEXIST;
	*link = b;
	/* Up while b's priority beats its parent's: a rotation each step. */
	while (d--) {
		struct udrv_dma_buf *p = *path[d];

		if (p->prio >= b->prio)
			break;
		*path[d] = p->left == b ? rotate_right(p) : rotate_left(p);
	}
	return 0;
}

/* Join two subtrees, all of @l below all of @r. */
static struct udrv_dma_buf *merge(struct udrv_dma_buf *l, struct udrv_dma_buf *r)
{
	if (!l || !r)
		return l ? l : r;
	if (l->prio > r->prio) {
		l->right = merge(l->right, r);
		return l;
	}
	r->left = merge(l, r->left);
	return r;
}

bool udrv_dma_tree_remove(struct udrv_dma_buf **root, struct udrv_dma_buf *b)
{
	struct udrv_dma_buf **link = root;

	/* Starts are distinct: the way to b is the way to its start. */
	while (*link && *link != b)
		link = start(b) < start(*link) ? &(*link)->left : &(*link)->right;
	if (!*link)
		return false;
	*link = merge(b->left, b->right);
	return true;
}

struct udrv_dma_buf *udrv_dma_tree_take(struct udrv_dma_buf **root, const struct udrv_dma *pub)
{
	uintptr_t a = (uintptr_t)pub->vaddr;
	struct udrv_dma_buf **link = root, *t;

	while ((t = *link)) {
		if (&t->pub == pub) {
			*link = merge(t->left, t->right);
			return t;
		}
		if (a < start(t))
			link = &t->left;
		else if (a - start(t) < t->pub.size)
			return t;
		else
			link = &t->right;
	}
	return NULL;
}

struct udrv_dma_buf *udrv_dma_tree_find(struct udrv_dma_buf *t, const void *p, size_t len)
{
	uintptr_t lo = (uintptr_t)p, hi = lo + len; /* [lo, hi) */
	struct udrv_dma_buf *best = NULL;

	/* The buffer with the highest start below hi is the only candidate. */
	while (t) {
		if (start(t) < hi) {
			best = t;
			t = t->right;
		} else {
			t = t->left;
		}
	}
	return best && start(best) + best->pub.size > lo ? best : NULL;
}
