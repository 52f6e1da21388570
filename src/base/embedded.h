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

// The generated table accessors (cmake/embed.cmake): `*count` files from the first.
using EmbeddedTable = const EmbeddedFile* (*)(std::size_t* count);

// The contents of `name` in `table`; empty when it is not there.
inline std::string_view find_embedded(EmbeddedTable table, std::string_view name) {
  std::size_t n = 0;
  const EmbeddedFile* files = table(&n);
  for (std::size_t i = 0; i < n; ++i)
    if (name == files[i].name) return files[i].view();
  return {};
}

}  // namespace simpleclaw
