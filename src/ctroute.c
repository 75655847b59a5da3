/* ctroute.c: stub, being written. */
#include "ctroute.h"
