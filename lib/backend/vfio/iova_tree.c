// SPDX-License-Identifier: MIT
/*
 * Free IOVA extents in an AVL tree whose nodes bound the room of their
 * subtree at each alignment class; see iova_tree.h.
 *
 * The bounds are lazy: a bound only has to be at least the largest room
 * below it.  When an extent grows or arrives, fix_up() raises the bounds
 * above it as far as they are too low, rebalancing on the way.  When one
 * shrinks or leaves, nothing has to change; udrv_iova_tree_shrunk() lowers
 * the bounds of the one class just allocated from, which the next request
 * of the same kind would otherwise trip over.  first-fit skips a subtree
 * only when its bound is too low, which keeps the result exact; a subtree
 * it enters for nothing gets that class's bound recomputed from its
 * children on the way out, so a stale bound misleads one search at most.
 * Descents prefetch both children: which way they go is a coin toss.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "iova_tree.h"

#define ALL_CLASSES ((1u << UDRV_IOVA_CLASSES) - 1)

static int height(const struct udrv_iova_node *n)
{
	return n ? n->height : 0;
}

static int height_of(const struct udrv_iova_node *n)
{
	int hl = height(n->left), hr = height(n->right);

	return 1 + (hl > hr ? hl : hr);
}

static const uint16_t no_room[UDRV_IOVA_CLASSES];

/*
 * The room of an extent of @len pages at @first at alignment 2^c pages: the
 * length less the padding to the next multiple of 2^c, which is the low c
 * bits of -first.
 */
static uint16_t own_room(uint64_t first, uint64_t len, unsigned int c)
{
	uint64_t pad = -first & ((1ULL << c) - 1);

	if (len <= pad)
		return 0;
	return len - pad > UDRV_IOVA_ROOM_MAX ? UDRV_IOVA_ROOM_MAX : (uint16_t)(len - pad);
}

/* The tightest bound for @n in class @c that its extent and its children's bounds allow. */
static uint16_t room_of(const struct udrv_iova_tree *t, const struct udrv_iova_node *n,
			unsigned int c)
{
	uint16_t v = own_room(n->start >> t->shift, n->size >> t->shift, c);
	uint16_t l = n->left ? n->left->room[c] : 0, r = n->right ? n->right->room[c] : 0;

	v = l > v ? l : v;
	return r > v ? r : v;
}

/* Recompute @n's height and its bounds, as tight as its extent and children's bounds allow. */
static void update(const struct udrv_iova_tree *t, struct udrv_iova_node *n)
{
	const uint16_t *lr = n->left ? n->left->room : no_room;
	const uint16_t *rr = n->right ? n->right->room : no_room;
	uint64_t first = n->start >> t->shift, len = n->size >> t->shift;
	unsigned int c;

	n->height = (uint8_t)height_of(n);
	for (c = 0; c < UDRV_IOVA_CLASSES; c++) {
		uint16_t v = own_room(first, len, c);

		v = lr[c] > v ? lr[c] : v;
		n->room[c] = rr[c] > v ? rr[c] : v;
	}
}

/* Raise @p's bounds in the classes of @mask to its child @n's: the classes raised. */
static unsigned int raise(struct udrv_iova_node *p, const struct udrv_iova_node *n,
			  unsigned int mask)
{
	unsigned int raised = 0;

	for (; mask; mask &= mask - 1) {
		unsigned int c = (unsigned int)__builtin_ctz(mask);

		if (n->room[c] > p->room[c]) {
			p->room[c] = n->room[c];
			raised |= 1u << c;
		}
	}
	return raised;
}

/* Put @to (may be NULL) where @from hangs: under @from's parent, or at the root. */
static void replace(struct udrv_iova_tree *t, struct udrv_iova_node *from,
		    struct udrv_iova_node *to)
{
	struct udrv_iova_node *p = from->parent;

	if (!p)
		t->root = to;
	else if (p->left == from)
		p->left = to;
	else
		p->right = to;
	if (to)
		to->parent = p;
}

/* Lift @x's right child into @x's place; returns it. */
static struct udrv_iova_node *rotate_left(struct udrv_iova_tree *t, struct udrv_iova_node *x)
{
	struct udrv_iova_node *y = x->right;

	replace(t, x, y);
	x->right = y->left;
	if (x->right)
		x->right->parent = x;
	y->left = x;
	x->parent = y;
	update(t, x);
	update(t, y);
	return y;
}

/* Lift @x's left child into @x's place; returns it. */
static struct udrv_iova_node *rotate_right(struct udrv_iova_tree *t, struct udrv_iova_node *x)
{
	struct udrv_iova_node *y = x->left;

	replace(t, x, y);
	x->left = y->right;
	if (x->left)
		x->left->parent = x;
	y->right = x;
	x->parent = y;
	update(t, x);
	update(t, y);
	return y;
}

/* Rotate at @n, whose subtrees differ in height by 2; returns the subtree's new root. */
static struct udrv_iova_node *rebalance(struct udrv_iova_tree *t, struct udrv_iova_node *n)
{
	if (height(n->left) > height(n->right)) {
		if (height(n->left->left) < height(n->left->right))
			rotate_left(t, n->left);
		return rotate_right(t, n);
	}
	if (height(n->right->right) < height(n->right->left))
		rotate_right(t, n->right);
	return rotate_left(t, n);
}

/*
 * From @n up: rebalance, recompute heights, and raise each parent's bounds
 * in the classes of @mask to its child's where they are lower; stop where
 * neither a height nor a bound changed.
 */
static void fix_up(struct udrv_iova_tree *t, struct udrv_iova_node *n, unsigned int mask)
{
	while (n) {
		int balance = height(n->left) - height(n->right), h;
		bool grew;

		if (balance > 1 || balance < -1) {
			n = rebalance(t, n);
			mask = ALL_CLASSES; /* a new subtree root: its parent checks every class */
			grew = true;
		} else {
			h = height_of(n);
			grew = h != n->height;
			n->height = (uint8_t)h;
		}
		if (!n->parent)
			return;
		mask = raise(n->parent, n, mask);
		if (!mask && !grew)
			return;
		n = n->parent;
	}
}

void udrv_iova_tree_insert_after(struct udrv_iova_tree *t, struct udrv_iova_node *n,
				 struct udrv_iova_node *prev)
{
	struct udrv_iova_node *p, **link;

	/* In address order n comes right after prev: the leftmost spot of prev's right. */
	link = prev ? &prev->right : &t->root;
	for (p = prev; *link; link = &p->left)
		p = *link;
	n->left = n->right = NULL;
	n->parent = p;
	update(t, n);
	*link = n;
	if (p)
		fix_up(t, p, raise(p, n, ALL_CLASSES));
}

void udrv_iova_tree_remove(struct udrv_iova_tree *t, struct udrv_iova_node *n)
{
	struct udrv_iova_node *s, *from;

	/* Bounds above n may stay as they are: they only become looser. */
	if (!n->left || !n->right) {
		from = n->parent;
		replace(t, n, n->left ? n->left : n->right);
		fix_up(t, from, 0);
		return;
	}
	/* Two children: n's successor s (it has no left child) takes n's place. */
	for (s = n->right; s->left; s = s->left)
		;
	if (s->parent == n) {
		from = s;
	} else {
		from = s->parent;
		replace(t, s, s->right);
		s->right = n->right;
		s->right->parent = s;
	}
	s->left = n->left;
	s->left->parent = s;
	replace(t, n, s);
	/* n's bounds cover everything below s; its height is what its parent saw. */
	s->height = n->height;
	memcpy(s->room, n->room, sizeof(s->room));
	fix_up(t, from, 0);
}

void udrv_iova_tree_shrunk(struct udrv_iova_tree *t, struct udrv_iova_node *n, uint64_t align)
{
	unsigned int c = (unsigned int)__builtin_ctzll(align) - t->shift;

	if (c >= UDRV_IOVA_CLASSES)
		c = 0; /* searches beyond the classes go by length */
	for (; n; n = n->parent) {
		uint16_t v = room_of(t, n, c);

		if (v >= n->room[c])
			break;
		n->room[c] = v;
	}
}

void udrv_iova_tree_grown(struct udrv_iova_tree *t, struct udrv_iova_node *n)
{
	uint64_t first = n->start >> t->shift, len = n->size >> t->shift;
	unsigned int c, raised = 0;

	for (c = 0; c < UDRV_IOVA_CLASSES; c++) {
		uint16_t v = own_room(first, len, c);

		if (v > n->room[c]) {
			n->room[c] = v;
			raised |= 1u << c;
		}
	}
	fix_up(t, n, raised);
}

void udrv_iova_tree_around(const struct udrv_iova_tree *t, uint64_t addr,
			   struct udrv_iova_node **below, struct udrv_iova_node **above)
{
	struct udrv_iova_node *n = t->root;

	*below = *above = NULL;
	while (n) {
		__builtin_prefetch(n->left);
		__builtin_prefetch(n->right);
		if (n->start <= addr) {
			*below = n;
			n = n->right;
		} else {
			*above = n;
			n = n->left;
		}
	}
}

static uint64_t align_up(uint64_t x, uint64_t align)
{
	return (x + align - 1) & ~(align - 1);
}

struct fit {
	unsigned int c;     /* class of the alignment */
	uint16_t pages;     /* size in pages (clamped to the bound's range) */
	uint64_t size, align, limit;
	uint64_t at;        /* result */
};

/*
 * The lowest fit, in address order: a subtree's extents, then its root's,
 * then its right subtree's, each subtree skipped if its bound in the class
 * is too low.  A subtree entered that holds no fit had a stale bound:
 * leaving it, tighten the bound from its children's.  Iterative: climbing
 * back from a left child resumes at the parent's own extent.
 */
static struct udrv_iova_node *fit_by_room(struct udrv_iova_tree *t, struct fit *f)
{
	struct udrv_iova_node *n = t->root, *p;
	unsigned int c = f->c;
	bool from_left = false;

	if (!n || n->room[c] < f->pages)
		return NULL;
	for (;;) {
		__builtin_prefetch(n->left);
		__builtin_prefetch(n->right);
		if (!from_left && n->left && n->left->room[c] >= f->pages) {
			n = n->left;
			continue;
		}
		if (n->start > f->limit)
			return NULL; /* so does everything after it */
		if (own_room(n->start >> t->shift, n->size >> t->shift, c) >= f->pages) {
			f->at = align_up(n->start, f->align);
			return n;
		}
		if (n->right && n->right->room[c] >= f->pages) {
			n = n->right;
			from_left = false;
			continue;
		}
		/* Nothing in n's subtree: up to the first ancestor still to look at. */
		for (;; n = p) {
			p = n->parent;
			n->room[c] = room_of(t, n, c);
			if (!p)
				return NULL;
			if (p->left == n)
				break;
		}
		n = p;
		from_left = true;
	}
}

/*
 * Any other request (alignment or size beyond the classes): the same walk,
 * skipping subtrees by their bound on length alone; an extent long enough
 * may still be wrongly placed, so nothing is tightened.
 */
static struct udrv_iova_node *fit_any(struct udrv_iova_node *n, struct fit *f)
{
	struct udrv_iova_node *found;

	for (; n && n->room[0] >= f->pages; n = n->right) {
		uint64_t a = align_up(n->start, f->align), end = n->start + n->size;

		found = fit_any(n->left, f);
		if (found)
			return found;
		if (n->start > f->limit)
			return NULL;
		if (a >= n->start && a < end && end - a >= f->size) {
			f->at = a;
			return n;
		}
	}
	return NULL;
}

struct udrv_iova_node *udrv_iova_tree_first_fit(struct udrv_iova_tree *t, uint64_t size,
						uint64_t align, uint64_t limit, uint64_t *at)
{
	struct fit f = { .size = size, .align = align, .limit = limit };
	uint64_t pages = size >> t->shift;
	struct udrv_iova_node *n;

	f.c = (unsigned int)__builtin_ctzll(align) - t->shift;
	f.pages = pages > UDRV_IOVA_ROOM_MAX ? UDRV_IOVA_ROOM_MAX : (uint16_t)pages;
	if (f.c < UDRV_IOVA_CLASSES && pages <= UDRV_IOVA_ROOM_MAX)
		n = fit_by_room(t, &f);
	else
		n = fit_any(t->root, &f);
	if (n)
		*at = f.at;
	return n;
}

struct udrv_iova_node *udrv_iova_tree_nth(const struct udrv_iova_tree *t, uint64_t i)
{
	struct udrv_iova_node *n = t->root;

	while (n && n->left)
		n = n->left;
	while (n && i--) {
		if (n->right) {
			for (n = n->right; n->left; n = n->left)
				;
		} else {
			while (n->parent && n->parent->right == n)
				n = n->parent;
			n = n->parent;
		}
	}
	return n;
}

struct check {
	const struct udrv_iova_tree *t;
	uint64_t count, total;
	const struct udrv_iova_node *prev; /* in address order */
};

/* @n's height and balance, and its bounds against its own extent and its children's. */
static const char *check_node(const struct udrv_iova_tree *t, const struct udrv_iova_node *n)
{
	int hl = height(n->left), hr = height(n->right);
	unsigned int c;

	if (n->height != height_of(n))
		return "a node's height is wrong";
	if (hl - hr > 1 || hr - hl > 1)
		return "a subtree is unbalanced";
	for (c = 0; c < UDRV_IOVA_CLASSES; c++)
		if (n->room[c] < room_of(t, n, c))
			return "a subtree's bound on room at an alignment is too low";
	return NULL;
}

static const char *check(const struct udrv_iova_node *n, const struct udrv_iova_node *parent,
			 struct check *c)
{
	uint64_t page = 1ULL << c->t->shift;
	const char *err;

	if (!n)
		return NULL;
	if (n->parent != parent)
		return "a node's parent link is wrong";
	err = check(n->left, n, c);
	if (err)
		return err;
	if (!n->size)
		return "an extent is empty";
	if ((n->start | n->size) & (page - 1))
		return "an extent is not page-aligned";
	if (n->start + n->size < n->start)
		return "an extent wraps around the address space";
	if (c->prev && c->prev->start + c->prev->size > n->start)
		return "extents overlap or are out of order";
	if (c->prev && c->prev->start + c->prev->size == n->start)
		return "two extents touch: they should have merged";
	c->prev = n;
	c->count++;
	c->total += n->size;
	err = check(n->right, n, c);
	return err ? err : check_node(c->t, n);
}

const char *udrv_iova_tree_check(const struct udrv_iova_tree *t, uint64_t *count,
				 uint64_t *total)
{
	struct check c = { .t = t };
	const char *err = check(t->root, NULL, &c);

	*count = c.count;
	*total = c.total;
	return err;
}
