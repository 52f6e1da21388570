#include "gateway/protocol/schemas.h"

#include <map>
#include <memory>
#include <mutex>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "base/embedded.h"

namespace simpleclaw::protocol {

const EmbeddedFile* embedded_schema_files(std::size_t* count);

namespace {

// The embedded schema texts by name; each is compiled the first time it is asked for and
// kept (handles stay valid for the life of the process). Lazy because a release gateway
// uses only the params schemas of the methods clients call: compiling all 88 up front
// cost about 1 MB of idle RSS.
struct Registry {
  std::map<std::string, std::string_view, std::less<>> text;
  std::mutex mu;
  std::map<std::string, std::unique_ptr<valijson::Schema>, std::less<>> compiled;
};

Registry& registry() {
  static Registry r;
  static std::once_flag filled;
  std::call_once(filled, [] {
    std::size_t n = 0;
    const EmbeddedFile* files = embedded_schema_files(&n);
    for (std::size_t i = 0; i < n; ++i) {
      std::string name(files[i].name);
      if (name.size() > 5 && name.ends_with(".json")) name.resize(name.size() - 5);
      r.text.emplace(std::move(name), files[i].view());
    }
  });
  return r;
}

// Parses and compiles one schema text; an error names what is wrong.
Result<std::unique_ptr<valijson::Schema>> compile(std::string_view name, std::string_view text) {
  Json doc = Json::parse(text, nullptr, false);
  if (doc.is_discarded())
    return Error::internal("schema " + std::string(name) + " is not valid JSON");
  try {
    auto schema = std::make_unique<valijson::Schema>();
    valijson::SchemaParser parser;
    valijson::adapters::NlohmannJsonAdapter adapter(doc);
    parser.populateSchema(adapter, *schema);
    return schema;
  } catch (const std::exception& e) {
    return Error::internal("schema " + std::string(name) + ": " + e.what());
  }
}

// valijson context ["<root>", "[params]", "[0]"] -> "/params/0"
std::string pointer(const std::vector<std::string>& ctx) {
  std::string p;
  for (const auto& c : ctx) {
    if (c == "<root>") continue;
    std::string part =
        (c.size() >= 2 && c.front() == '[' && c.back() == ']') ? c.substr(1, c.size() - 2) : c;
    if (part.size() >= 2 && part.front() == '"' && part.back() == '"')
      part = part.substr(1, part.size() - 2);
    p += "/" + part;
  }
  return p.empty() ? "/" : p;
}

// Turns valijson's sentences into short reasons a client can show.
std::string reason(std::string d) {
  auto starts = [&](std::string_view s) { return d.rfind(s, 0) == 0; };
  if (starts("Object contains a property that could not be validated")) {
    // "...: 'name'." -- the property is the last quoted word.
    auto e = d.rfind('\'');
    auto q = e == std::string::npos || e == 0 ? std::string::npos : d.rfind('\'', e - 1);
    if (q != std::string::npos && e > q)
      return "unexpected property '" + d.substr(q + 1, e - q - 1) + "'";
    return "unexpected property";
  }
  if (starts("Missing required property")) {
    auto q = d.find('\'');
    auto e = d.rfind('\'');
    if (q != std::string::npos && e > q)
      return "must have required property '" + d.substr(q + 1, e - q - 1) + "'";
  }
  if (!d.empty() && d.back() == '.') d.pop_back();
  return d;
}

}  // namespace

Status load_schemas() {
  // Every schema must compile (a broken build artefact fails at start); the compiled
  // forms are dropped again and made on demand.
  std::string errors;
  for (const auto& [name, text] : registry().text)
    if (auto c = compile(name, text); !c.ok()) errors += c.error().message + "; ";
  if (!errors.empty()) return Error::invalid(errors);
  return Ok{};
}

bool has_schema(std::string_view name) { return registry().text.count(name) != 0; }

Json all_schemas() {
  Json all = Json::object();
  for (const auto& [name, text] : registry().text) {
    Json doc = Json::parse(text, nullptr, false);
    if (!doc.is_discarded()) all[name] = std::move(doc);
  }
  return all;
}

SchemaHandle find_schema(std::string_view schema_name) {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  if (auto it = r.compiled.find(schema_name); it != r.compiled.end()) return it->second.get();
  auto text = r.text.find(schema_name);
  if (text == r.text.end()) return nullptr;
  auto c = compile(schema_name, text->second);
  if (!c.ok()) return nullptr;  // validate_with then fails closed
  return r.compiled.emplace(std::string(schema_name), std::move(c).value()).first->second.get();
}

Result<Ok> validate(std::string_view schema_name, const Json& value) {
  SchemaHandle h = find_schema(schema_name);
  if (h == nullptr) return Error::invalid("no schema named " + std::string(schema_name));
  return validate_with(h, value);
}

Result<Ok> validate_with(SchemaHandle handle, const Json& value) {
  if (handle == nullptr) return Error::invalid("/: no schema for this message");  // fail closed
  const auto& schema = *static_cast<const valijson::Schema*>(handle);
  valijson::Validator validator(valijson::Validator::kStrongTypes);
  valijson::adapters::NlohmannJsonAdapter adapter(value);
  // Fast path without collecting errors; collect only to explain a failure.
  if (validator.validate(schema, adapter, nullptr)) return Ok{};
  valijson::ValidationResults results;
  validator.validate(schema, adapter, &results);
  // The deepest error is the most specific one; parents repeat it vaguely.
  valijson::ValidationResults::Error err, best;
  std::size_t depth = 0;
  bool have = false;
  while (results.popError(err)) {
    if (!have || err.context.size() > depth) {
      best = err;
      depth = err.context.size();
      have = true;
    }
  }
  return Error::invalid(pointer(best.context) + ": " + reason(best.description));
}

}  // namespace simpleclaw::protocol
