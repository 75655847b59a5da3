/* ctjson.c: stub, being written. */
#include "ctjson.h"
