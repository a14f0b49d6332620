/* advice.h: what a user can do about a finding, chosen from what its stack
 * and probe show (the container, the language, the layout). */
#ifndef RETAIN_ADVICE_H
#define RETAIN_ADVICE_H

#include "report.h"

void advice_write(struct report *r, struct finding *f);

#endif
