/* ctapi.c: stub, being written. */
#include "ctapi.h"
