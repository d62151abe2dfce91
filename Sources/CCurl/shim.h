// libcurl for Swift: curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call, so these
// typed wrappers fix the argument type per option kind.
#ifndef SKELZOO_CCURL_SHIM_H
#define SKELZOO_CCURL_SHIM_H
#include <curl/curl.h>

typedef size_t (*skelzoo_curl_data_callback)(char *data, size_t size, size_t count, void *context);
typedef int (*skelzoo_curl_progress_callback)(void *context, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow);

static inline CURLcode skelzoo_curl_set_long(CURL *curl, CURLoption option, long value) {
    return curl_easy_setopt(curl, option, value);
}
static inline CURLcode skelzoo_curl_set_string(CURL *curl, CURLoption option, const char *value) {
    return curl_easy_setopt(curl, option, value);
}
static inline CURLcode skelzoo_curl_set_pointer(CURL *curl, CURLoption option, void *value) {
    return curl_easy_setopt(curl, option, value);
}
static inline CURLcode skelzoo_curl_set_data_callback(CURL *curl, CURLoption option, skelzoo_curl_data_callback callback) {
    return curl_easy_setopt(curl, option, callback);
}
static inline CURLcode skelzoo_curl_set_progress_callback(CURL *curl, skelzoo_curl_progress_callback callback) {
    return curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, callback);
}
static inline CURLcode skelzoo_curl_get_long(CURL *curl, CURLINFO info, long *value) {
    return curl_easy_getinfo(curl, info, value);
}
#endif
