/* The one place libwebsockets is included, so its headers' warnings (if any)
 * are dealt with once. CMake adds lws's include directory as SYSTEM. */
#ifndef SKY_SERVER_LWS_H
#define SKY_SERVER_LWS_H

#include <libwebsockets.h>

#endif
