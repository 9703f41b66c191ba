// SPDX-License-Identifier: MIT
/*
 * A device's DMA buffers by address: a B+tree (struct udrv_dma_tree).  Its
 * leaves hold each buffer's start address and record, sorted; an inner
 * node holds its children and, for every child but the first, the lowest
 * start in that child's subtree, exactly (which is what lets an insertion
 * see the next buffer's start without visiting it).  Nodes of up to FAN
 * entries fill four cache lines, so with 10,000 buffers a descent visits
 * four nodes where a binary tree visits about twenty records, each on a
 * page of its own: the cost of a lookup is the memory it touches, and more
 * so under an emulator, where every new page is a software TLB fill.
 *
 * Insertion refuses a buffer that overlaps one already filed, in the same
 * descent that files it (its neighbours are the leaf entry before it and
 * the next start, from the leaf or the lowest ancestor with a next child).
 * A full node splits in two halves; the nodes a split could need are taken
 * before anything changes, so -ENOMEM leaves the tree as it was.  Removal
 * takes the entry out of its leaf; an emptied node is freed and a root
 * with one child goes, but a thin node is not merged with a sibling: the
 * tree never gets deeper than the most buffers it ever held needed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dma_internal.h"

#define FAN 15          /* entries per node: 8 + 15 * 24 bytes, six cache lines */
#define MAX_HEIGHT 24   /* 16 * 15^23 splits deep: never reached */
#define SPARE_NODES 16  /* freed nodes kept for the next splits */

struct udrv_dma_node {
	unsigned int n;
	uintptr_t key[FAN];  /* leaf: each buffer's start; inner: key[i], i >= 1, child i's lowest start */
	uintptr_t end[FAN];  /* leaf: each buffer's end (so a neighbour's record need not be read) */
	void *ptr[FAN];      /* leaf: the buffers; inner: the children */
};

/* A descent's way down: the inner nodes and the child taken in each. */
struct path {
	struct udrv_dma_node *node[MAX_HEIGHT];
	unsigned int idx[MAX_HEIGHT];
	unsigned int depth;  /* inner nodes on the way */
};

static uintptr_t start(const struct udrv_dma_buf *b)
{
	return (uintptr_t)b->pub.vaddr;
}

static struct udrv_dma_node *node_get(struct udrv_dma_tree *t)
{
	struct udrv_dma_node *x = t->spare;

	t->spare = x->ptr[0];
	t->nspare--;
	x->n = 0;
	return x;
}

static void node_put(struct udrv_dma_tree *t, struct udrv_dma_node *x)
{
	if (t->nspare >= SPARE_NODES) {
		free(x);
		return;
	}
	x->ptr[0] = t->spare;
	t->spare = x;
	t->nspare++;
}

/* At least @k spare nodes, or -ENOMEM (then nothing else happens). */
static int reserve(struct udrv_dma_tree *t, unsigned int k)
{
	while (t->nspare < k) {
		struct udrv_dma_node *x = aligned_alloc(64, (sizeof(*x) + 63) & ~(size_t)63);

		if (!x)
			return -ENOMEM;
		x->ptr[0] = t->spare;
		t->spare = x;
		t->nspare++;
	}
	return 0;
}

/* How many of @x's keys from @from on are at or below @k (keys ascend): a binary search. */
static unsigned int count_le(const struct udrv_dma_node *x, unsigned int from, uintptr_t k)
{
	unsigned int lo = from, hi = x->n;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (x->key[mid] <= k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Down to the leaf whose range holds @k (the leftmost one below every start). */
static struct udrv_dma_node *descend(const struct udrv_dma_tree *t, uintptr_t k, struct path *p)
{
	struct udrv_dma_node *x = t->root;
	unsigned int l, i;

	p->depth = 0;
	for (l = t->height; l > 1; l--) {
		/* Child 0 has no key: it takes everything below key[1]. */
		i = count_le(x, 1, k);
		p->node[p->depth] = x;
		p->idx[p->depth++] = i - 1;
		x = x->ptr[i - 1];
	}
	return x;
}

/* How many of leaf @x's starts are at or below @k. */
static unsigned int leaf_pos(const struct udrv_dma_node *x, uintptr_t k)
{
	return count_le(x, 0, k);
}

/*
 * Put (@k, @v) at @i of @x, which has room.  Loops, kept loops: a few
 * entries move, and a memmove() call costs more than that (the most
 * under an emulator, where every call and return is a lookup).
 */
#define NO_MEMMOVE __attribute__((optimize("no-tree-loop-distribute-patterns")))

static NO_MEMMOVE void put_at(struct udrv_dma_node *x, unsigned int i, uintptr_t k, uintptr_t e,
			      void *v)
{
	unsigned int j;

	for (j = x->n; j > i; j--) {
		x->key[j] = x->key[j - 1];
		x->end[j] = x->end[j - 1];
		x->ptr[j] = x->ptr[j - 1];
	}
	x->key[i] = k;
	x->end[i] = e;
	x->ptr[i] = v;
	x->n++;
}

static NO_MEMMOVE void take_at(struct udrv_dma_node *x, unsigned int i)
{
	x->n--;
	for (; i < x->n; i++) {
		x->key[i] = x->key[i + 1];
		x->end[i] = x->end[i + 1];
		x->ptr[i] = x->ptr[i + 1];
	}
}

/* Move @x's entries from @from on to the empty @r. */
static void move_tail(struct udrv_dma_node *x, unsigned int from, struct udrv_dma_node *r)
{
	r->n = x->n - from;
	memcpy(r->key, &x->key[from], r->n * sizeof(r->key[0]));
	memcpy(r->end, &x->end[from], r->n * sizeof(r->end[0]));
	memcpy(r->ptr, &x->ptr[from], r->n * sizeof(r->ptr[0]));
	x->n = from;
}

/*
 * Put (@k, @e, @v) at @i of the full @x: the upper half goes to a new node,
 * returned, whose lowest key is the separator for its parent.
 */
static struct udrv_dma_node *split(struct udrv_dma_tree *t, struct udrv_dma_node *x,
				   unsigned int i, uintptr_t k, uintptr_t e, void *v)
{
	struct udrv_dma_node *r = node_get(t);
	unsigned int half = (FAN + 1) / 2;

	/*
	 * The left keeps half the entries after the insertion, the right the
	 * rest, also at a node's end: buffers filed in address order and then
	 * freed and mapped again at random (a driver's rings, then its I/O)
	 * find room in half-full leaves instead of splitting full ones.
	 */
	if (i < half) {
		move_tail(x, half - 1, r);
		put_at(x, i, k, e, v);
	} else {
		move_tail(x, half, r);
		put_at(r, i - half, k, e, v);
	}
	return r;
}

int udrv_dma_tree_insert_new(struct udrv_dma_tree *t, struct udrv_dma_buf *b)
{
	uintptr_t lo = start(b), next = UINTPTR_MAX, k;
	struct udrv_dma_node *x, *r;
	struct path p;
	unsigned int pos, d;
	void *v;

	if (reserve(t, t->height + 1))
		return -ENOMEM;
	if (!t->root) {
		t->root = node_get(t);
		t->height = 1;
	}
	x = descend(t, lo, &p);
	pos = leaf_pos(x, lo);
	/* The neighbours: the end of the buffer before, the start of the one after. */
	if (pos < x->n) {
		next = x->key[pos];
	} else {
		for (d = p.depth; d-- > 0;)
			if (p.idx[d] + 1 < p.node[d]->n) {
				next = p.node[d]->key[p.idx[d] + 1];
				break;
			}
	}
	if ((pos && x->end[pos - 1] > lo) || next - lo < b->pub.size) {
		if (!t->root->n) {
			node_put(t, t->root);
			t->root = NULL;
			t->height = 0;
		}
		return -EEXIST;
	}
	t->count++;
	if (x->n < FAN) {
		put_at(x, pos, lo, lo + b->pub.size, b);
		return 0;
	}
	/* Split upwards while the parent is full too. */
	r = split(t, x, pos, lo, lo + b->pub.size, b);
	for (d = p.depth; d-- > 0;) {
		k = r->key[0];
		v = r;
		x = p.node[d];
		if (x->n < FAN) {
			put_at(x, p.idx[d] + 1, k, 0, v);
			return 0;
		}
		r = split(t, x, p.idx[d] + 1, k, 0, v);
	}
	/* The root split: a new root above the two halves. */
	x = node_get(t);
	x->n = 2;
	x->key[0] = t->root->key[0];
	x->ptr[0] = t->root;
	x->key[1] = r->key[0];
	x->ptr[1] = r;
	t->root = x;
	t->height++;
	return 0;
}

/* Take entry @j out of the leaf @x reached by @p, keeping the separators exact. */
static void delete_at(struct udrv_dma_tree *t, struct udrv_dma_node *x, unsigned int j,
		      struct path *p)
{
	uintptr_t low;
	unsigned int d = p->depth, i;
	bool lowest = j == 0;

	t->count--;
	take_at(x, j);
	/* Emptied nodes go, upwards; the lowest start of a subtree may change. */
	while (!x->n && d > 0) {
		node_put(t, x);
		x = p->node[--d];
		i = p->idx[d];
		lowest = i == 0;
		take_at(x, i);
	}
	if (!x->n) {
		/* The root was emptied: no buffers left. */
		node_put(t, x);
		t->root = NULL;
		t->height = 0;
		return;
	}
	/* Its lowest start changed: so did that of every subtree it is child 0 of. */
	if (lowest) {
		low = x->key[0];
		while (d-- > 0)
			if (p->idx[d] > 0) {
				p->node[d]->key[p->idx[d]] = low;
				break;
			}
	}
	/* A root with one child steps down. */
	while (t->height > 1 && t->root->n == 1) {
		x = t->root;
		t->root = x->ptr[0];
		t->height--;
		node_put(t, x);
	}
}

bool udrv_dma_tree_remove(struct udrv_dma_tree *t, struct udrv_dma_buf *b)
{
	struct udrv_dma_node *x;
	struct path p;
	unsigned int pos;

	if (!t->root)
		return false;
	x = descend(t, start(b), &p);
	pos = leaf_pos(x, start(b));
	if (!pos || x->ptr[pos - 1] != b)
		return false;
	delete_at(t, x, pos - 1, &p);
	return true;
}

struct udrv_dma_buf *udrv_dma_tree_take(struct udrv_dma_tree *t, const struct udrv_dma *pub)
{
	uintptr_t a = (uintptr_t)pub->vaddr;
	struct udrv_dma_buf *b;
	struct udrv_dma_node *x;
	struct path p;
	unsigned int pos;

	if (!t->root)
		return NULL;
	x = descend(t, a, &p);
	pos = leaf_pos(x, a);
	if (!pos)
		return NULL;
	b = x->ptr[pos - 1];
	if (&b->pub == pub) {
		delete_at(t, x, pos - 1, &p);
		return b;
	}
	return a < x->end[pos - 1] ? b : NULL;
}

struct udrv_dma_buf *udrv_dma_tree_find(const struct udrv_dma_tree *t, const void *ptr, size_t len)
{
	uintptr_t lo = (uintptr_t)ptr, last = lo + len - 1;
	struct udrv_dma_node *x;
	struct path p;
	unsigned int pos;

	if (!t->root || !len)
		return NULL;
	/* The buffer with the highest start at or below the range's last byte is the only candidate. */
	x = descend(t, last, &p);
	pos = leaf_pos(x, last);
	if (!pos)
		return NULL;
	return x->end[pos - 1] > lo ? x->ptr[pos - 1] : NULL;
}

struct udrv_dma_buf *udrv_dma_tree_first(const struct udrv_dma_tree *t)
{
	const struct udrv_dma_node *x = t->root;
	unsigned int l;

	if (!x)
		return NULL;
	for (l = t->height; l > 1; l--)
		x = x->ptr[0];
	return x->ptr[0];
}

static void each(const struct udrv_dma_node *x, unsigned int level,
		 void (*fn)(struct udrv_dma_buf *b, void *arg), void *arg)
{
	unsigned int i;

	for (i = 0; i < x->n; i++) {
		if (level > 1)
			each(x->ptr[i], level - 1, fn, arg);
		else
			fn(x->ptr[i], arg);
	}
}

void udrv_dma_tree_each(const struct udrv_dma_tree *t,
			void (*fn)(struct udrv_dma_buf *b, void *arg), void *arg)
{
	if (t->root)
		each(t->root, t->height, fn, arg);
}

void udrv_dma_tree_destroy(struct udrv_dma_tree *t)
{
	struct udrv_dma_node *x;

	while ((x = t->spare)) {
		t->spare = x->ptr[0];
		free(x);
	}
	t->nspare = 0;
}

/* Check @x's subtree; its lowest start in *@low; *@end is the end of the last buffer seen. */
static const char *check(const struct udrv_dma_node *x, unsigned int level, bool root,
			 uintptr_t *low, uintptr_t *end, size_t *count)
{
	unsigned int i;
	const char *err;
	uintptr_t sub;

	if (!x->n || x->n > FAN)
		return "a node is empty or over-full";
	if (root && level > 1 && x->n < 2)
		return "an inner root has one child";
	for (i = 0; i < x->n; i++) {
		if (level == 1) {
			const struct udrv_dma_buf *b = x->ptr[i];

			if (x->key[i] != start(b) || x->end[i] != start(b) + b->pub.size)
				return "a leaf entry is not its buffer's start and end";
			if (*count && start(b) < *end)
				return "buffers overlap or are out of order";
			sub = start(b);
			*end = start(b) + b->pub.size;
			++*count;
		} else {
			err = check(x->ptr[i], level - 1, false, &sub, end, count);
			if (err)
				return err;
			if (i > 0 && x->key[i] != sub)
				return "a separator is not its subtree's lowest start";
		}
		if (i == 0)
			*low = sub;
	}
	return NULL;
}

const char *udrv_dma_tree_check(const struct udrv_dma_tree *t, size_t *count)
{
	uintptr_t low, end = 0;
	const char *err;

	*count = 0;
	if (!t->root)
		return t->height || t->count ? "an empty tree has a height or a count" : NULL;
	if (!t->height || t->height > MAX_HEIGHT)
		return "the height is out of range";
	err = check(t->root, t->height, true, &low, &end, count);
	if (!err && *count != t->count)
		err = "the buffer count is wrong";
	return err;
}
