/* SPDX-License-Identifier: MIT */
/* edu explain: the address chain of a DMA buffer and of BAR0 (explain.c). */
#ifndef EDU_EXPLAIN_H
#define EDU_EXPLAIN_H

#include "edu.h"

/*
 * Allocate one DMA buffer, print every address it and BAR0 have (user VA,
 * /proc/self/maps line, PFN/physical, device address; BAR range in sysfs and
 * /proc/iomem), check they agree, and prove the buffer's chain with an edu
 * DMA round trip.  Returns the exit status: 0 when every check passed, 1
 * otherwise (the failing line says why).
 */
int edu_explain(struct edu *e);

#endif /* EDU_EXPLAIN_H */
