// A file compiled into the binary by cmake/embed.cmake (schemas, default config, web page).
// Immutable static data: any thread may read it.
#pragma once
#include <cstddef>
#include <string_view>

namespace simpleclaw {

struct EmbeddedFile {
  const char* name;  // path relative to the embedding folder, e.g. "frames/req.json"
  const char* data;  // NUL-terminated for convenience; size excludes the NUL
  std::size_t size;
  std::string_view view() const { return {data, size}; }
};

}  // namespace simpleclaw
