#include "base/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <chrono>
#include <ctime>

#include "base/clock.h"

namespace simpleclaw::log {
namespace {

// The fields of the structured record being logged on this thread (log::event), as the
// text to splice into the JSON line: ',"event":"x","k":v'. The logger is synchronous,
// so the formatter runs on the calling thread while this is set.
thread_local std::string t_extra;

// Formats one record as a JSON line; spdlog's pattern language cannot escape the message.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    using namespace std::chrono;
    auto ms = duration_cast<milliseconds>(msg.time.time_since_epoch()).count();
    // OpenClaw's field names (time, message), so its log readers (`openclaw logs`, the
    // Control UI's Logs panel) show these lines as they show their own.
    std::string line = "{\"time\":\"";
    line += iso_utc(ms);
    line += "\",\"level\":\"";
    auto lv = spdlog::level::to_string_view(msg.level);
    line.append(lv.data(), lv.size());
    line += "\",\"message\":\"";
    line += json_escape(std::string_view(msg.payload.data(), msg.payload.size()));
    line += "\"";
    line += t_extra;
    line += "}\n";
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

}  // namespace

std::string json_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20)
          out += fmt::format("\\u{:04x}", c);
        else
          out += static_cast<char>(c);
    }
  }
  return out;
}

void init(const Options& opts) {
  std::vector<spdlog::sink_ptr> sinks;
  if (opts.to_stderr) {
    auto s = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    s->set_pattern("%H:%M:%S.%e %^%-5l%$ %v");
    sinks.push_back(s);
  }
  if (!opts.file.empty()) {
    try {
      auto f = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(opts.file, opts.max_bytes,
                                                                      opts.max_files);
      f->set_formatter(std::make_unique<JsonFormatter>());
      sinks.push_back(f);
    } catch (const spdlog::spdlog_ex& e) {
      fprintf(stderr, "warning: cannot open log file %s: %s\n", opts.file.c_str(), e.what());
    }
  }
  auto logger = std::make_shared<spdlog::logger>("simpleclaw", sinks.begin(), sinks.end());
  // Every record is flushed so logs.tail readers see it at once; the gateway logs
  // events, not requests, so this costs nothing on the hot path.
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  set_level(opts.level);
}

namespace {

std::string extra_fields(std::string_view name, const nlohmann::json& fields) {
  std::string extra = ",\"event\":\"" + json_escape(name) + "\"";
  if (fields.is_object()) {
    for (const auto& [k, v] : fields.items()) {
      if (k == "time" || k == "level" || k == "message" || k == "event") continue;
      extra += ",\"" + json_escape(k) +
               "\":" + v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  }
  return extra;
}

}  // namespace

void event(std::string_view name, const nlohmann::json& fields, std::string_view summary,
           spdlog::level::level_enum level) {
  t_extra = extra_fields(name, fields);
  spdlog::log(level, "{} {}", name, summary);
  t_extra.clear();
}

void record(std::string_view name, const nlohmann::json& fields, std::string_view message,
            spdlog::level::level_enum level) {
  t_extra = extra_fields(name, fields);
  spdlog::log(level, "{}", message);
  t_extra.clear();
}

void set_level(const std::string& level) { spdlog::set_level(spdlog::level::from_str(level)); }

}  // namespace simpleclaw::log
