/* SPDX-License-Identifier: MIT */
/*
 * The free extents of an IOVA space (internal to iova.c): an AVL tree keyed
 * by start address whose nodes also bound, for their whole subtree, the
 * room at each common alignment, so a first-fit search can skip every
 * subtree that cannot hold the allocation.
 *
 * An extent [A, E) has room R at alignment a if the R bytes from A rounded
 * up to a are inside it: R = E - ALIGN_UP(A, a), or 0.  An allocation of S
 * bytes aligned to a fits iff R >= S.  Each node keeps, in pages, an upper
 * bound on the largest R in its subtree for a = page << c, c <
 * UDRV_IOVA_CLASSES (4 KiB to 2 MiB with 4 KiB pages), saturating at
 * UDRV_IOVA_ROOM_MAX pages (256 MiB less a page with 4 KiB pages); class 0 is just the
 * length.  Bounds may be loose (iova_tree.c says when).  A request
 * outside the classes (larger alignment or size) is found by
 * walking every subtree whose bound on length allows it: exact, but it may
 * visit extents that are long enough yet wrongly placed.
 *
 * A node is one 64-byte cache line (the caller allocates it aligned).
 * Nodes are the caller's (intrusive): the tree never allocates.  Extents
 * must not overlap; iova.c also keeps them from touching (it merges).
 */
#ifndef UDRV_IOVA_TREE_H
#define UDRV_IOVA_TREE_H

#include <stdint.h>

#define UDRV_IOVA_CLASSES 10
#define UDRV_IOVA_ROOM_MAX UINT16_MAX

/**
 * struct udrv_iova_node - one free extent, [start, start + size)
 * @left:   extents below, or NULL
 * @right:  extents above, or NULL
 * @parent: NULL at the root
 * @start:  first address, a multiple of the page
 * @size:   length in bytes, a multiple of the page, > 0
 * @room:   bound on the largest room in the subtree at alignment page << c,
 *          in pages, at most UDRV_IOVA_ROOM_MAX (tree-maintained)
 * @height: of the subtree rooted here, 1 for a leaf (tree-maintained)
 */
struct udrv_iova_node {
	struct udrv_iova_node *left, *right, *parent;
	uint64_t start, size;
	uint16_t room[UDRV_IOVA_CLASSES];
	uint8_t height;
};

/**
 * struct udrv_iova_tree - the extents
 * @root:  NULL when empty
 * @shift: log2 of the page size
 */
struct udrv_iova_tree {
	struct udrv_iova_node *root;
	unsigned int shift;
};

/**
 * udrv_iova_tree_insert_after() - add @n (start and size set) to @t
 * @t:    the tree
 * @n:    a node not in any tree, overlapping none of the tree's extents
 * @prev: the extent just below @n (as udrv_iova_tree_around() finds it),
 *        or NULL if @n is the lowest
 */
void udrv_iova_tree_insert_after(struct udrv_iova_tree *t, struct udrv_iova_node *n,
				 struct udrv_iova_node *prev);

/**
 * udrv_iova_tree_remove() - take @n out of @t
 * @t: the tree
 * @n: a node of the tree; the caller owns it again afterwards
 *
 * Other nodes keep their extents: pointers to them stay valid.
 */
void udrv_iova_tree_remove(struct udrv_iova_tree *t, struct udrv_iova_node *n);

/**
 * udrv_iova_tree_grown() - tell @t that @n's extent grew in place
 * @t: the tree
 * @n: a node whose extent the caller extended, without reaching a
 *     neighbour (the order by start is unchanged)
 *
 * An extent that shrinks in place needs no call (bounds may be loose), but
 * see udrv_iova_tree_shrunk().
 */
void udrv_iova_tree_grown(struct udrv_iova_tree *t, struct udrv_iova_node *n);

/**
 * udrv_iova_tree_shrunk() - tighten bounds after an allocation from @n
 * @t:     the tree
 * @n:     the extent the allocation shrank in place (order unchanged)
 * @align: the allocation's alignment
 *
 * Optional, since bounds may be loose: lowers the bounds of @align's class
 * from @n up as far as they were too high, so that the next search of that
 * class, likely of the same kind, does not go into @n's subtree for nothing.
 */
void udrv_iova_tree_shrunk(struct udrv_iova_tree *t, struct udrv_iova_node *n, uint64_t align);

/**
 * udrv_iova_tree_around() - the extents on either side of an address
 * @t:     the tree
 * @addr:  the address
 * @below: set to the extent with the highest start <= @addr, or NULL
 * @above: set to the extent with the lowest start > @addr, or NULL
 */
void udrv_iova_tree_around(const struct udrv_iova_tree *t, uint64_t addr,
			   struct udrv_iova_node **below, struct udrv_iova_node **above);

/**
 * udrv_iova_tree_first_fit() - the lowest extent with room for an allocation
 * @t:     the tree
 * @size:  bytes wanted, a multiple of the page, > 0
 * @align: a power of two, at least the page: the allocation's start must
 *         be a multiple of it
 * @limit: ignore extents starting above this address
 * @at:    set to the aligned start inside the extent found
 *
 * May tighten bounds on the way (the tree's shape and extents stay).
 *
 * Return: the extent holding the lowest aligned fit, or NULL.  The fit may
 * still end above @limit: the caller checks (no lower fit exists then).
 */
struct udrv_iova_node *udrv_iova_tree_first_fit(struct udrv_iova_tree *t, uint64_t size,
						uint64_t align, uint64_t limit, uint64_t *at);

/**
 * udrv_iova_tree_nth() - the @i-th lowest extent, counting from 0
 * @t: the tree
 * @i: index; an O(i) walk, for tests and debugging
 *
 * Return: the node, or NULL if the tree has no more than @i extents.
 */
struct udrv_iova_node *udrv_iova_tree_nth(const struct udrv_iova_tree *t, uint64_t i);

/**
 * udrv_iova_tree_check() - verify every invariant of @t (for tests)
 * @t:     the tree
 * @count: set to the number of extents
 * @total: set to the sum of their sizes
 *
 * Checks parent links, order, page alignment, that extents neither overlap
 * nor touch, heights and AVL balance, and that every node's @room is at
 * least its own extent's and its children's.  O(n).
 *
 * Return: NULL if all hold, else a description of the first broken one.
 */
const char *udrv_iova_tree_check(const struct udrv_iova_tree *t, uint64_t *count,
				 uint64_t *total);

#endif /* UDRV_IOVA_TREE_H */
