// run_loop: a handler that throws is reported and the loop goes on with the others.
#include "gateway/state/event_loop.h"

#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <stdexcept>

namespace simpleclaw::gateway {
namespace {

TEST(RunLoop, AThrowingHandlerIsReportedAndTheOthersStillRun) {
  boost::asio::io_context io;
  std::vector<std::string> errors;
  int ran = 0;
  boost::asio::post(io, [&] { ++ran; });
  boost::asio::post(io, [] { throw std::runtime_error("bad json: type must be boolean"); });
  boost::asio::post(io, [&] { ++ran; });
  boost::asio::post(io, [] { throw 42; });
  boost::asio::post(io, [&] { ++ran; });
  std::size_t thrown = run_loop(io, [&](const std::string& what) { errors.push_back(what); });
  EXPECT_EQ(ran, 3);
  EXPECT_EQ(thrown, 2u);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], "bad json: type must be boolean");
  EXPECT_EQ(errors[1], "an exception of unknown type");
}

TEST(RunLoop, ReturnsWhenStopped) {
  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);  // would run forever without stop()
  boost::asio::post(io, [&] { io.stop(); });
  EXPECT_EQ(run_loop(io, [](const std::string&) {}), 0u);
}

}  // namespace
}  // namespace simpleclaw::gateway
