// The protocol's JSON Schemas (src/gateway/protocol/schemas/, embedded at build time):
// one per frame type (frames/req.json, ...) and per method's params and result
// (methods/<method>.params.json, methods/<method>.result.json). Compiled once with
// valijson on first use; validation is read-only afterwards. Loop thread (or any single
// thread) — the registry is built lazily without locks on first call from main().
#pragma once
#include <string>
#include <string_view>

#include "base/result.h"

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
// {"frames/req": {...}, "methods/health.params": {...}, ...} for protocol.schema.
const Json& all_schemas();
// Compiles every embedded schema now (start-up), so the first request pays nothing and a
// broken schema fails loudly at start.
Status load_schemas();

}  // namespace simpleclaw::protocol
