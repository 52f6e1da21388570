// RecordingHost: a ChannelHost for connector tests. It records what a channel reports
// (inbound messages, button presses, connected/disconnected/alive, diagnostics) and
// lets a test run the loop until something arrives. Inbound messages are "handled"
// at once (posted), like the manager does after the transcript commit.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "simpleclaw/channel.h"

namespace simpleclaw::testing {

class RecordingHost : public sdk::ChannelHost {
 public:
  RecordingHost(boost::asio::io_context& io, std::string channel, Json settings,
                std::string state_dir, std::string account = "default")
      : io_(io),
        channel_(std::move(channel)),
        account_(std::move(account)),
        settings_(std::move(settings)),
        state_dir_(std::move(state_dir)) {
    std::filesystem::create_directories(state_dir_);
  }

  boost::asio::io_context& io() override { return io_; }
  const std::string& channel_name() const override { return channel_; }
  const std::string& account_id() const override { return account_; }
  const Json& settings() const override { return settings_; }
  const std::string& state_dir() const override { return state_dir_; }
  void inbound(sdk::InboundMessage m, std::function<void()> handled) override {
    inbound_.push_back(std::move(m));
    boost::asio::post(io_, std::move(handled));
  }
  void button(sdk::ButtonPress p) override { buttons_.push_back(std::move(p)); }
  void connected(const std::string& detail) override {
    ++connects_;
    is_connected_ = true;
    connected_detail_ = detail;
  }
  void disconnected(const std::string& error) override {
    is_connected_ = false;
    errors_.push_back(error);
  }
  void alive() override { ++alive_; }
  void set_liveness_window(std::chrono::milliseconds w) override { window_ = w; }
  void diagnostic(const std::string& event, Json fields) override {
    diagnostics_.push_back({event, std::move(fields)});
  }

  // Runs the loop until pred() or the timeout; returns pred().
  bool run_until(const std::function<bool()>& pred, int timeout_ms = 5000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!pred() && std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      io_.run_for(std::chrono::milliseconds(10));
    }
    return pred();
  }

  std::vector<sdk::InboundMessage> inbound_;
  std::vector<sdk::ButtonPress> buttons_;
  std::vector<std::string> errors_;
  std::vector<std::pair<std::string, Json>> diagnostics_;
  int connects_ = 0, alive_ = 0;
  bool is_connected_ = false;
  std::string connected_detail_;
  std::chrono::milliseconds window_{0};

 private:
  boost::asio::io_context& io_;
  std::string channel_, account_;
  Json settings_;
  std::string state_dir_;
};

}  // namespace simpleclaw::testing
