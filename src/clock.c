#include "clock.h"

uint64_t clock_start_ns;
