/*
 * Hookbay adapter plugin ABI, version 1.
 *
 * A plugin is a shared library (.so) exporting one symbol:
 *
 *     const hookbay_adapter *hookbay_adapter_entry(void);
 *
 * returning a pointer to a descriptor that lives as long as the process. The host loads plugins with
 * dlopen(RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) and never unloads them.
 *
 * Compatibility: `abi_version` is the first field forever. Fields are only ever appended; `struct_size` tells the
 * host how many the plugin knows. The host refuses a plugin whose `abi_version` is not HOOKBAY_ABI_VERSION, whose
 * `struct_size` is smaller than the version's descriptor, or any of whose function pointers is NULL.
 *
 * Memory: every buffer a plugin returns (`*err`, `*out`) is allocated by the plugin and released by the host by
 * calling the plugin's own `free_buf`; the host never frees plugin memory with its own allocator, and the plugin
 * never frees or keeps the host's buffers (`config_json`, `event_json`) past the call.
 *
 * Threads: the host may call `validate` and `process` on one context from several threads at once; a plugin keeps
 * per-call state on the stack or synchronises itself. `create` and `destroy` are never concurrent with other calls
 * on the same context. Calls are synchronous and must be fast (microseconds): they run on request and worker threads.
 *
 * Crashes: a plugin runs in the host's process. A crash, abort or Swift fatalError in a plugin takes the whole
 * gateway down. Report failures through the status codes instead.
 *
 * Swift plugins must be built with the same Swift toolchain as the host: Swift has no ABI stability on Linux.
 */
#ifndef HOOKBAY_PLUGIN_H
#define HOOKBAY_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The ABI version this header describes. */
#define HOOKBAY_ABI_VERSION 1u

/** The symbol every plugin exports. */
#define HOOKBAY_ADAPTER_ENTRY_SYMBOL "hookbay_adapter_entry"

/** What `validate` and `process` report. */
typedef enum hookbay_status {
    /** Done: the event is acceptable / was processed and `*out` holds the content updates. */
    HOOKBAY_STATUS_OK = 0,
    /** The event itself is bad: answered 400 at receive, dead-lettered at processing. `*err` says why. */
    HOOKBAY_STATUS_INVALID = 1,
    /** A transient failure: the engine retries later with backoff. `*err` says why. */
    HOOKBAY_STATUS_RETRY = 2
} hookbay_status;

/**
 * The adapter descriptor, version 1.
 *
 * - `create(config_json, len, &err)`: a context for one platform, configured by the platform's `adapter_config`
 *   mapping as JSON (`{}` when absent). NULL on failure, with `*err` set (or left NULL).
 * - `destroy(ctx)`: releases a context.
 * - `validate(ctx, event_json, len, &err)`: checks an event in the request path.
 * - `process(ctx, event_json, len, &out, &out_len, &err)`: turns an event into content updates, a JSON array of
 *   `{"content_id": string, "action": "upsert"|"remove", "title"?: string, "content_type"?: string,
 *   "attributes"?: object}`, written to `*out` (`*out_len` bytes, no terminator needed).
 * - `free_buf(buf)`: frees a buffer this plugin returned.
 *
 * The event JSON is `{"platform", "event_type" (canonical), "source_event_type", "event_id", "received_at" (Unix
 * milliseconds), "timestamp", "payload"}`.
 *
 * Appended fields (read only when `struct_size` covers them; NULL means absent):
 * - `receive_schema` (NUL-terminated JSON): when every rule `validate` checks is one of these, the plugin may declare
 *   them, `[{"name": "<top-level payload field>", "kind": "string"|"non_empty_string"|"string_array"|"object",
 *   "required": true|false}, ...]`, checked in order. The host then checks deliveries against them itself, on the JSON
 *   it has parsed, and calls `validate` no more at receive (refusals read `payload.<name> must be ...`). A field that is
 *   not required may be absent or null. A field may give `"path": "a.b"` (a dotted path walking objects) instead of a
 *   name, `"kind": "id"` (a non-empty string or an integer), and a `"label"` said in refusals after its path.
 * - `context_receive_schema(ctx)`: the rules of one context, when they depend on its configuration (the generic
 *   adapter's paths come from `adapter_config`): NULL, or a NUL-terminated JSON text in `receive_schema`'s form that
 *   the context owns until `destroy`. Asked once, after `create`; when not NULL it replaces `receive_schema` for the
 *   context.
 */
typedef struct hookbay_adapter {
    uint32_t abi_version;
    uint32_t struct_size;
    const char *name;
    const char *version;
    void *(*create)(const char *config_json, size_t config_len, char **err);
    void (*destroy)(void *ctx);
    int32_t (*validate)(void *ctx, const char *event_json, size_t event_len, char **err);
    int32_t (*process)(void *ctx, const char *event_json, size_t event_len, char **out, size_t *out_len, char **err);
    void (*free_buf)(char *buf);
    const char *receive_schema;
    const char *(*context_receive_schema)(void *ctx);
} hookbay_adapter;

/** The type of `hookbay_adapter_entry`. */
typedef const hookbay_adapter *(*hookbay_adapter_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* HOOKBAY_PLUGIN_H */
