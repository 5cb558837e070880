// zlib (Debian's zlib1g-dev), for Content-Encoding: gzip and deflate request bodies.
#include <zlib.h>
