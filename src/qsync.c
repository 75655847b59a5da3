/* qsync.c: stub, being written. */
#include <stdlib.h>

#include "qsync.h"
