#include "process.h"

struct process_info process;
