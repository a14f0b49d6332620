/* sampler.h: libretain's background thread.  It writes the reports asked for
 * by RETAIN_SIGNAL (the handler only wakes it) and by RETAIN_REPORT_INTERVAL,
 * and samples the occupancy of watched blocks every RETAIN_INTERVAL ms. */
#ifndef RETAIN_SAMPLER_H
#define RETAIN_SAMPLER_H

void sampler_start(void);
void sampler_stop(void);
void sampler_after_fork_child(void);
/* Ask for an occupancy pass soon (a new large block, a growth event). */
void sampler_poke(void);

#endif
