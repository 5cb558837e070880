#ifndef HOOKBAY_CHIREDIS_SHIM_H
#define HOOKBAY_CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#endif
