// The protocol's JSON Schemas (src/gateway/protocol/schemas/, embedded at build time):
// one per frame type (frames/req.json, ...) and per method's params and result
// (methods/<method>.params.json, methods/<method>.result.json). Each is compiled with
// valijson the first time it is looked up (under a lock; any thread) and kept; validation
// is read-only afterwards.
#pragma once
#include <string>
#include <string_view>

#include "simpleclaw/result.h"

namespace simpleclaw::protocol {

// Validates `value` against the schema named e.g. "frames/req" or "methods/health.params".
// Ok if valid; otherwise the error text is "<json-pointer>: <reason>" for the first
// (deepest) problem. An unknown schema name is a programming error reported as invalid.
Result<Ok> validate(std::string_view schema_name, const Json& value);
bool has_schema(std::string_view schema_name);
// A compiled schema looked up once, for hot paths (nullptr when there is none).
using SchemaHandle = const void*;
SchemaHandle find_schema(std::string_view schema_name);
// (Named differently so a string literal never converts to a handle.)
Result<Ok> validate_with(SchemaHandle schema, const Json& value);
// {"frames/req": {...}, "methods/health.params": {...}, ...} for protocol.schema (parsed
// on each call: it is rare).
Json all_schemas();
// Checks that every embedded schema compiles (the unit tests do; the gateway no longer
// does at start: it was half of the start-up's work and ~0.3 MB of idle RSS). The
// compiled forms are not kept (they are made on first use).
Status load_schemas();

}  // namespace simpleclaw::protocol
