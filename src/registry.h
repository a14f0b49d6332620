/* registry.h: the modules' lifecycle table (registry.c), run in order. */
#ifndef RETAIN_REGISTRY_H
#define RETAIN_REGISTRY_H

/* Start-up: every module's init, in table order. */
void registry_init(void);
/* fork: every module's locks taken in rank order; released in reverse in
 * the parent, re-initialised in reverse in the child. */
void registry_prefork(void);
void registry_postfork_parent(void);
void registry_postfork_child(void);

#endif
