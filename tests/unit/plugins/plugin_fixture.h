// What the plugin host and provider-plugin tests share: a loop kept alive by a work
// guard, a temp dir with a state dir, and a PluginHost (made by each test) stopped within
// 10 s at the end so no plugin process outlives its test.
#pragma once
#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "plugins/plugin_host.h"
#include "unit/tools/test_util.h"

namespace simpleclaw::plugins {

class PluginFixture : public ::testing::Test {
 public:
  // Start-up, restarts and stops in fractions of a second (defaults are seconds).
  static PluginHostOptions quick_options() {
    using std::chrono::milliseconds;
    PluginHostOptions o;
    o.init_timeout = milliseconds(5000);
    o.backoff_initial = milliseconds(100);
    o.backoff_max = milliseconds(400);
    o.shutdown_timeout = milliseconds(300);
    o.stop_grace = milliseconds(500);
    return o;
  }

 protected:
  explicit PluginFixture(const char* tmp_name) : dir_{tmp_name} {}

  void SetUp() override { std::filesystem::create_directories(dir_.path + "/state"); }
  void TearDown() override {
    if (host_) {
      bool done = false;
      host_->stop([&] { done = true; });
      run_until([&] { return done; }, std::chrono::seconds(10));
      host_.reset();
    }
  }

  bool run_until(const std::function<bool()>& pred,
                 std::chrono::milliseconds t = std::chrono::seconds(10)) {
    return tools::test_util::run_until(io_, pred, t);
  }
  void run_for(std::chrono::milliseconds d) { tools::test_util::run_for(io_, d); }

  tools::test_util::TempDir dir_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  std::unique_ptr<PluginHost> host_;
  std::vector<std::string> problems_;
};

}  // namespace simpleclaw::plugins
