// logs.tail (SPEC §5 System): reads the JSON-lines log with byte cursors so a client can
// follow it. Without a cursor it returns the newest lines; with one, the lines written
// since, oldest first, never more than `limit` lines or `maxBytes` bytes, and a cursor
// that continues exactly where this answer stopped (nothing skipped, nothing repeated).
// A cursor past the end means the file was rotated: `reset:true`, read from the start.
// Reads at most maxBytes (<= 1 MiB) per call, so it is safe on the loop thread.
#include <sys/stat.h>

#include <fstream>

#include "gateway/methods/table.h"
#include "gateway/runtime_info.h"

namespace simpleclaw::gateway {

void method_logs_tail(MethodCall& call) {
  const Json& p = call.params.is_object() ? call.params : Json::object();
  const std::string& file = call.svc.info.log_file;
  std::int64_t limit = p.value("limit", 200);
  std::int64_t max_bytes = p.value("maxBytes", 262144);
  struct stat st {};
  std::int64_t size = ::stat(file.c_str(), &st) == 0 ? st.st_size : 0;
  Json out{{"file", file}, {"size", size}};
  bool follow = p.contains("cursor");
  std::int64_t start =
      follow ? p["cursor"].get<std::int64_t>() : std::max<std::int64_t>(0, size - max_bytes);
  if (follow && start > size) {
    out["reset"] = true;
    start = 0;
  }
  std::int64_t len = std::min<std::int64_t>(size - start, max_bytes);
  std::string buf(static_cast<std::size_t>(std::max<std::int64_t>(len, 0)), '\0');
  if (len > 0) {
    std::ifstream in(file, std::ios::binary);
    in.seekg(start);
    in.read(buf.data(), len);
    buf.resize(static_cast<std::size_t>(in.gcount()));
  }
  // Split into complete lines; remember where each ends so the cursor lands on a boundary.
  std::vector<std::pair<std::string_view, std::int64_t>> lines;  // (text, end offset)
  std::size_t pos = 0;
  if (!follow && start > 0) {  // began mid-line: skip the partial first line
    auto nl = buf.find('\n');
    pos = nl == std::string::npos ? buf.size() : nl + 1;
  }
  while (pos < buf.size()) {
    auto nl = buf.find('\n', pos);
    if (nl == std::string::npos) break;  // a line still being written: next call
    lines.emplace_back(std::string_view(buf).substr(pos, nl - pos),
                       start + static_cast<std::int64_t>(nl) + 1);
    pos = nl + 1;
  }
  bool truncated = false;
  if (follow && lines.empty() && len > 0 && len == max_bytes) {
    // One line longer than maxBytes: skip it rather than leave the cursor stuck forever.
    out["skippedBytes"] = len;
    truncated = true;
    pos = static_cast<std::size_t>(len);
  }
  std::size_t first = 0, last = lines.size();
  if (static_cast<std::int64_t>(lines.size()) > limit) {
    truncated = true;
    if (follow)
      last = static_cast<std::size_t>(limit);  // oldest first; continue later
    else
      first = lines.size() - static_cast<std::size_t>(limit);  // newest lines
  }
  Json arr = Json::array();
  for (std::size_t i = first; i < last; ++i) arr.push_back(std::string(lines[i].first));
  std::int64_t cursor =
      follow ? (last > 0 ? lines[last - 1].second : start + static_cast<std::int64_t>(pos))
             : (lines.empty() ? start + static_cast<std::int64_t>(pos) : lines.back().second);
  if (!follow && start > 0) truncated = true;
  if (follow && cursor < size && last == lines.size() && len == max_bytes) truncated = true;
  out["cursor"] = cursor;
  out["lines"] = std::move(arr);
  if (truncated) out["truncated"] = true;
  call.respond(std::move(out));
}

}  // namespace simpleclaw::gateway
