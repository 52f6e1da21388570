// SseParser: WHATWG event-stream rules (fields, comments, line ends split across feeds),
// the size limits, and finish() at the end of a body.
#include "net/sse.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace simpleclaw::net {
namespace {

// "name|data" per event, so expectations read as one line each.
std::vector<std::string> render(const std::vector<SseEvent>& events) {
  std::vector<std::string> out;
  for (const SseEvent& e : events) out.push_back(e.event + "|" + e.data);
  return out;
}

std::vector<std::string> parse_all(std::string_view text, bool finish = false) {
  SseParser p;
  std::vector<SseEvent> events;
  EXPECT_TRUE(p.feed(text, events));
  if (finish) p.finish(events);
  return render(events);
}

std::vector<std::string> parse_in_pieces(std::string_view text,
                                         const std::vector<std::size_t>& cuts) {
  SseParser p;
  std::vector<SseEvent> events;
  std::size_t at = 0;
  for (std::size_t cut : cuts) {
    EXPECT_TRUE(p.feed(text.substr(at, cut - at), events));
    at = cut;
  }
  EXPECT_TRUE(p.feed(text.substr(at), events));
  return render(events);
}

using V = std::vector<std::string>;

struct FieldCase {
  const char* name;
  const char* input;
  V expected;
};

void PrintTo(const FieldCase& c, std::ostream* os) { *os << c.name; }

class SseFields : public ::testing::TestWithParam<FieldCase> {};

TEST_P(SseFields, ParsesAsWhatwgSays) {
  EXPECT_EQ(parse_all(GetParam().input), GetParam().expected) << GetParam().name;
}

INSTANTIATE_TEST_SUITE_P(
    SseTable, SseFields,
    ::testing::Values(
        FieldCase{"plain", "data: hello\n\n", V{"|hello"}},
        FieldCase{"named", "event: message_stop\ndata: {}\n\n", V{"message_stop|{}"}},
        FieldCase{"multi_data_joined_with_lf", "data: a\ndata: b\ndata:\n\n", V{"|a\nb\n"}},
        FieldCase{"one_leading_space_stripped", "data:  two\ndata:none\n\n", V{"| two\nnone"}},
        FieldCase{"field_without_colon_is_empty_value", "data\n\n", V{"|"}},
        FieldCase{"comments_ignored", ": keep-alive\ndata: x\n: more\n\n", V{"|x"}},
        FieldCase{"id_retry_unknown_ignored", "id: 7\nretry: 10\nfoo: bar\ndata: x\n\n", V{"|x"}},
        FieldCase{"no_data_no_dispatch", "event: ping\n\n", V{}},
        FieldCase{"event_name_reset_after_blank_line", "event: a\n\ndata: x\n\n", V{"|x"}},
        FieldCase{"event_name_reset_after_dispatch", "event: a\ndata: 1\n\ndata: 2\n\n",
                  V{"a|1", "|2"}},
        FieldCase{"last_event_name_wins", "event: a\nevent: b\ndata: x\n\n", V{"b|x"}},
        FieldCase{"colon_in_value_kept", "data: {\"a\":1}\n\n", V{"|{\"a\":1}"}},
        FieldCase{"field_names_case_sensitive", "Data: x\n\n", V{}},
        FieldCase{"incomplete_event_not_dispatched", "data: x\n", V{}},
        FieldCase{"crlf", "event: e\r\ndata: x\r\n\r\n", V{"e|x"}},
        FieldCase{"cr_only", "data: x\rdata: y\r\r", V{"|x\ny"}},
        FieldCase{"cr_cr_is_two_line_ends", "data: a\r\rdata: b\r\r", V{"|a", "|b"}},
        FieldCase{"mixed", "data: a\r\n\ndata: b\n\r\n", V{"|a", "|b"}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(SseLineEnds, CrAtEndOfOneFeedAndLfAtStartOfNextAreOneLineEnd) {
  // If the LF were a second line end, "a" would be dispatched alone before "b".
  EXPECT_EQ(parse_in_pieces("data: a\r\ndata: b\n\n", {8}), (V{"|a\nb"}));
  SseParser p;
  std::vector<SseEvent> events;
  ASSERT_TRUE(p.feed("data: a\r", events));
  ASSERT_TRUE(p.feed("\n", events));
  ASSERT_TRUE(p.feed("data: b\r", events));
  ASSERT_TRUE(p.feed("\r", events));  // CR then CR: a blank line, dispatch
  EXPECT_EQ(render(events), (V{"|a\nb"}));
}

TEST(SseLineEnds, EverySplitPointGivesTheSameEvents) {
  const std::string samples[] = {
      "event: a\ndata: 1\ndata: 2\n\n: c\ndata: 3\n\n",
      "event: a\r\ndata: 1\r\ndata: 2\r\n\r\n: c\r\ndata: 3\r\n\r\n",
      "event: a\rdata: 1\rdata: 2\r\r: c\rdata: 3\r\r",
  };
  for (const std::string& s : samples) {
    V whole = parse_all(s);
    ASSERT_EQ(whole, (V{"a|1\n2", "|3"}));
    for (std::size_t i = 0; i <= s.size(); ++i)
      EXPECT_EQ(parse_in_pieces(s, {i}), whole) << "split at " << i;
    for (std::size_t i = 0; i <= s.size(); ++i)
      for (std::size_t j = i; j <= s.size(); ++j)
        EXPECT_EQ(parse_in_pieces(s, {i, j}), whole) << "split at " << i << "," << j;
    std::vector<std::size_t> bytewise;
    for (std::size_t i = 1; i < s.size(); ++i) bytewise.push_back(i);
    EXPECT_EQ(parse_in_pieces(s, bytewise), whole);
  }
}

TEST(SseLimits, LineLongerThanMaxFails) {
  SseParser p(16);
  std::vector<SseEvent> events;
  EXPECT_TRUE(p.feed("data: 0123456789", events));  // exactly 16 bytes, still pending
  EXPECT_FALSE(p.feed("X", events));
  EXPECT_FALSE(p.feed("\n\n", events)) << "the parser stays failed";
  EXPECT_TRUE(events.empty());
}

TEST(SseLimits, LongLineFailsEvenWithoutLineEnd) {
  SseParser p(1024);
  std::vector<SseEvent> events;
  EXPECT_FALSE(p.feed(std::string(1025, 'a'), events));
}

TEST(SseLimits, AccumulatedDataLargerThanMaxFails) {
  SseParser p(8);  // every line below fits; the joined data is what grows
  std::vector<SseEvent> events;
  ASSERT_TRUE(p.feed("data:12\ndata:34\ndata:56\n\n", events));  // "12\n34\n56" = 8 bytes
  EXPECT_EQ(render(events), (V{"|12\n34\n56"}));
  EXPECT_FALSE(p.feed("data:12\ndata:34\ndata:567\n", events));  // 9 bytes
  EXPECT_EQ(events.size(), 1u);
}

TEST(SseLimits, EventsBeforeTheOversizedOneAreStillReturned) {
  SseParser p(32);
  std::vector<SseEvent> events;
  EXPECT_FALSE(p.feed("data: ok\n\ndata: " + std::string(100, 'x') + "\n\n", events));
  EXPECT_EQ(render(events), (V{"|ok"}));
}

TEST(SseFinish, DispatchesAPendingEventWhoseLinesAreComplete) {
  EXPECT_EQ(parse_all("data: a\n\ndata: last\n", /*finish=*/true), (V{"|a", "|last"}));
  EXPECT_EQ(parse_all("data: a\r", /*finish=*/true), (V{"|a"}));
}

TEST(SseFinish, DiscardsAnEventCutMidLine) {
  EXPECT_EQ(parse_all("data: a\n\ndata: {\"cut", /*finish=*/true), (V{"|a"}));
  EXPECT_EQ(parse_all("data: a\ndata: b", /*finish=*/true), (V{}));
  EXPECT_EQ(parse_all("event: x\n", /*finish=*/true), (V{}));
}

}  // namespace
}  // namespace simpleclaw::net
