// Fuzzes config.yaml loading: YAML parse with line tracking, ${ENV} substitution, schema
// validation, semantic checks, and the secret redaction that config.get applies to raw
// text. Must never crash or hang, and redaction must never throw.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config.h"

using namespace simpleclaw;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The loader frees the schema when no one holds it (idle RSS); the fuzzer keeps it, so
  // each input does not pay for parsing and compiling it again.
  static const std::shared_ptr<const Json> schema = config::schema();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "HOME") return std::string("/home/fuzz");
    return std::nullopt;
  };
  config::Parsed p = config::parse(text, env);
  (void)config::redact_raw(text);
  if (p.ok()) (void)config::to_yaml(config::redact(p.config.doc));
  return 0;
}
