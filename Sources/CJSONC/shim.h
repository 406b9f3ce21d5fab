#ifndef ZENITH_CJSONC_SHIM_H
#define ZENITH_CJSONC_SHIM_H
#include <json.h>
#endif
