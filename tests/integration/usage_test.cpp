// Usage and cost end to end: the real gateway, the fake LLM reporting token counts, and
// prices from config (models.providers.*.models[].cost). usage.cost, sessions.usage*
// and derivedTitle in sessions.list / sessions.describe.
#include <ctime>

#include "base/utf8.h"
#include "chat_helpers.h"
#include "sessions/store.h"
#include "support/test_store.h"

namespace sctest {
namespace {

using fakes::FakeLlm;
using fakes::Script;
using simpleclaw::ErrorCode;

// fake/gpt-test costs $3 / $15 per 1M tokens; claude/claude-test has no price. Agent
// `ops` runs claude.
std::string priced_config(const std::string& llm_url) {
  return "models:\n"
         "  default: fake/gpt-test\n"
         "  retry: {attempts: 1, base_ms: 10, max_ms: 50}\n"
         "  providers:\n"
         "    fake:\n"
         "      api: openai\n"
         "      base_url: " +
         llm_url +
         "/v1\n"
         "      api_key: sk-test\n"
         "      models:\n"
         "        - {id: gpt-test, context_window: 8192, max_tokens: 256,\n"
         "           cost: {input: 3, output: 15, cache_read: 0.3}}\n"
         "    claude:\n"
         "      api: anthropic\n"
         "      base_url: " +
         llm_url +
         "\n"
         "      models: [{id: claude-test}]\n"
         "agents:\n"
         "  list:\n"
         "    - id: main\n"
         "    - id: ops\n"
         "      model: claude/claude-test\n";
}

// The gateway's local date of `ms` (the test and the gateway share TZ).
std::string local_day(std::int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::localtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

std::int64_t usage_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The daily row of `date` (null when absent).
Json day_row(const Json& daily, const std::string& date) {
  for (const Json& d : daily)
    if (d["date"] == date) return d;
  return Json();
}

void run_turn(WsClient& c, const std::string& key, const std::string& text, const std::string& id) {
  send(c, key, text, id);
  auto evs = chat_events(c, id);
  ASSERT_FALSE(evs.empty());
  ASSERT_EQ(evs.back()["state"], "final") << evs.back().dump();
}

TEST(Usage, PricedModelsCostExactlyUnpricedAreCountedAndFlagged) {
  FakeLlm llm;
  Script big;
  big.input_tokens = 1'000'000;
  big.output_tokens = 500'000;
  big.times = -1;
  llm.set_default(big);
  START_GATEWAY(gw, with_config(priced_config(llm.url())));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  run_turn(*c, "main", "hello", "u-1");                // fake/gpt-test: $3 + $7.5
  run_turn(*c, "agent:ops:main", "hello ops", "u-2");  // claude/claude-test: no price
  const std::string today = local_day(usage_now_ms());

  // Every agent: both runs' tokens, the priced one's cost, the unpriced one flagged.
  Json all = call_ok(*c, "usage.cost", Json{{"agentScope", "all"}});
  EXPECT_EQ(all["totals"]["input"], 2'000'000);
  EXPECT_EQ(all["totals"]["output"], 1'000'000);
  EXPECT_EQ(all["totals"]["totalTokens"], 3'000'000);
  EXPECT_DOUBLE_EQ(all["totals"]["inputCost"].get<double>(), 3.0);
  EXPECT_DOUBLE_EQ(all["totals"]["outputCost"].get<double>(), 7.5);
  EXPECT_DOUBLE_EQ(all["totals"]["totalCost"].get<double>(), 10.5);
  EXPECT_EQ(all["totals"]["missingCostEntries"], 1);
  EXPECT_EQ(all["totals"]["missingCostByModel"], (Json{{"claude/claude-test", 1}}));
  // The last 30 calendar days, one row each, today's holding everything.
  EXPECT_EQ(all["days"], 30);
  EXPECT_EQ(all["daily"].size(), 30u);
  EXPECT_EQ(all["endDate"], today);
  Json t = day_row(all["daily"], today);
  ASSERT_FALSE(t.is_null()) << all.dump();
  EXPECT_DOUBLE_EQ(t["totalCost"].get<double>(), 10.5);
  EXPECT_EQ(t["totalTokens"], 3'000'000);
  EXPECT_EQ(all["daily"][0]["totalTokens"], 0);  // a quiet day is there, at zero
  ASSERT_EQ(all["byModel"].size(), 2u);
  for (const Json& m : all["byModel"]) {
    if (m["model"] == "gpt-test") {
      EXPECT_EQ(m["priced"], true);
      EXPECT_DOUBLE_EQ(m["totals"]["totalCost"].get<double>(), 10.5);
    } else {
      EXPECT_EQ(m["model"], "claude-test");
      EXPECT_EQ(m["priced"], false);
      EXPECT_EQ(m["totals"]["totalCost"], 0.0);
      EXPECT_EQ(m["totals"]["input"], 1'000'000);
    }
  }

  // Agent filter: no params = the default agent; agentId = that agent only.
  Json main = call_ok(*c, "usage.cost", Json::object());
  EXPECT_DOUBLE_EQ(main["totals"]["totalCost"].get<double>(), 10.5);
  EXPECT_EQ(main["totals"]["missingCostEntries"], 0);
  EXPECT_EQ(main["totals"]["input"], 1'000'000);
  Json ops = call_ok(*c, "usage.cost", Json{{"agentId", "ops"}, {"days", 1}});
  EXPECT_EQ(ops["totals"]["totalCost"], 0.0);
  EXPECT_EQ(ops["totals"]["missingCostEntries"], 1);
  EXPECT_EQ(ops["totals"]["output"], 500'000);
  EXPECT_EQ(ops["daily"].size(), 1u);
  EXPECT_EQ(ops["daily"][0]["date"], today);
}

TEST(Usage, BadParamsAreRejectedWithAClearError) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(priced_config(llm.url())));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  struct Case {
    Json params;
    ErrorCode code;
    std::string says;
  };
  const Case cases[] = {
      {{{"startDate", "2025-02-30"}, {"endDate", "2025-03-01"}},
       ErrorCode::kInvalidArgument,
       "invalid startDate '2025-02-30'"},
      {{{"startDate", "2025-03-01"}}, ErrorCode::kInvalidArgument, "must be sent together"},
      {{{"startDate", "2025-03-02"}, {"endDate", "2025-03-01"}},
       ErrorCode::kInvalidArgument,
       "is after endDate"},
      {{{"agentId", "ops"}, {"agentScope", "all"}},
       ErrorCode::kInvalidArgument,
       "cannot be combined"},
      {{{"agentId", "nobody"}}, ErrorCode::kInvalidArgument, "unknown agent: nobody"},
      {{{"mode", "specific"}, {"timeZone", "Mars/Olympus"}},
       ErrorCode::kInvalidArgument,
       "send utcOffset"},
      {{{"startDate", "1990-01-01"}, {"endDate", "2025-01-01"}},
       ErrorCode::kInvalidArgument,
       "at most 3660"},
      {{{"days", 0}}, ErrorCode::kInvalidArgument, "days"},
      {{{"mode", "moon"}}, ErrorCode::kInvalidArgument, "mode"},
  };
  for (const Case& k : cases) {
    for (const char* method : {"usage.cost", "sessions.usage"}) {
      auto r = c->call(method, k.params);
      ASSERT_FALSE(r.ok()) << method << " accepted " << k.params.dump();
      EXPECT_EQ(r.error().code, k.code) << method << " " << k.params.dump();
      EXPECT_NE(r.error().message.find(k.says), std::string::npos)
          << method << " " << k.params.dump() << ": " << r.error().message;
    }
  }
  auto r = c->call("sessions.usage", Json{{"key", "main"}, {"agentScope", "all"}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("agentScope 'all' cannot be combined with agentId or key"),
            std::string::npos)
      << r.error().message;
  // A bad price in config: the gateway refuses to start and names the key.
  std::unique_ptr<GatewayProcess> bad;
  std::string cfg = priced_config(llm.url());
  cfg.replace(cfg.find("input: 3"), 8, "input: -3");
  auto code = start_and_wait_exit(bad, with_config(cfg));
  ASSERT_TRUE(bad);
  ASSERT_TRUE(code.has_value());
  EXPECT_NE(*code, 0);
  EXPECT_NE(bad->stderr_text().find("cost.input"), std::string::npos) << bad->stderr_text();
}

// Entries written straight into the store with chosen times, then read by a gateway
// running in America/New_York. 2024-03-10 lost an hour (EST -> EDT): the day is 23 hours.
class UsageDays : public ::testing::Test {
 protected:
  static constexpr std::int64_t kA = 1710048600000;  // 2024-03-10 00:30 EST (05:30Z)
  static constexpr std::int64_t kB = 1710127800000;  // 2024-03-10 23:30 EDT (03-11 03:30Z)
  static constexpr std::int64_t kC = 1710131400000;  // 2024-03-11 00:30 EDT (04:30Z)

  void seed(const std::string& state_dir) {
    auto store = simpleclaw::testing_support::open_state_store(state_dir);
    ASSERT_TRUE(store.ok()) << store.error().message;
    auto turn = [&](const std::string& raw_key, const std::string& id, std::int64_t at,
                    std::int64_t in, std::int64_t out) {
      auto key = simpleclaw::sessions::parse_session_key(raw_key, "main");
      ASSERT_TRUE(key.ok());
      simpleclaw::sessions::BeginRun b;
      b.key = *key;
      b.run_id = id;
      b.message_id = id + "-u";
      b.text = "question " + id;
      b.now = at;
      ASSERT_TRUE(store->begin_run(b).ok());
      simpleclaw::sessions::FinishRun f;
      f.run_id = id;
      f.session_key = key->key;
      f.now = at;
      f.input_tokens = in;
      f.output_tokens = out;
      simpleclaw::sessions::Entry e;
      e.message_id = id + "-a";
      e.text = "answer " + id;
      e.model = "fake/gpt-test";
      e.input_tokens = in;
      e.output_tokens = out;
      f.reply = e;
      ASSERT_TRUE(store->finish_run(f).ok());
    };
    turn("agent:main:main", "a", kA, 1'000'000, 0);  // $3
    turn("agent:main:main", "b", kB, 0, 1'000'000);  // $15
    turn("agent:ops:main", "c", kC, 2'000'000, 0);   // $6
  }
};

TEST_F(UsageDays, DaysAreCalendarDaysInTheGatewaysZoneAcrossDst) {
  FakeLlm llm;
  TempDir state;
  seed(state.path());
  StartOptions o = with_config(priced_config(llm.url()));
  o.state_dir = state.path();
  o.env["TZ"] = "America/New_York";
  START_GATEWAY(gw, o);
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  const Json window{{"startDate", "2024-03-09"}, {"endDate", "2024-03-12"}, {"agentScope", "all"}};

  // Gateway days (the default): C, 25 minutes into 03-11, is not on 03-10 even though it
  // is less than 86400 s after 03-10's midnight.
  Json local = call_ok(*c, "usage.cost", window);
  EXPECT_EQ(local["days"], 4);
  ASSERT_EQ(local["daily"].size(), 4u) << local.dump();
  EXPECT_EQ(day_row(local["daily"], "2024-03-09")["totalCost"], 0.0);
  EXPECT_DOUBLE_EQ(day_row(local["daily"], "2024-03-10")["totalCost"].get<double>(), 18.0);
  EXPECT_DOUBLE_EQ(day_row(local["daily"], "2024-03-11")["totalCost"].get<double>(), 6.0);
  EXPECT_EQ(day_row(local["daily"], "2024-03-12")["totalCost"], 0.0);
  EXPECT_DOUBLE_EQ(local["totals"]["totalCost"].get<double>(), 24.0);

  // The window's edges are local midnights: 03-11 alone holds C only.
  Json one =
      call_ok(*c, "usage.cost",
              Json{{"startDate", "2024-03-11"}, {"endDate", "2024-03-11"}, {"agentScope", "all"}});
  EXPECT_DOUBLE_EQ(one["totals"]["totalCost"].get<double>(), 6.0);
  EXPECT_EQ(one["totals"]["input"], 2'000'000);

  // UTC days: B (03:30Z on 03-11) moves to 03-11.
  Json w = window;
  w["mode"] = "utc";
  Json utc = call_ok(*c, "usage.cost", w);
  EXPECT_DOUBLE_EQ(day_row(utc["daily"], "2024-03-10")["totalCost"].get<double>(), 3.0);
  EXPECT_DOUBLE_EQ(day_row(utc["daily"], "2024-03-11")["totalCost"].get<double>(), 21.0);

  // A client in the gateway's zone gets gateway days; elsewhere its utcOffset.
  w["mode"] = "specific";
  w["timeZone"] = "America/New_York";
  Json same = call_ok(*c, "usage.cost", w);
  EXPECT_EQ(same["daily"], local["daily"]);
  w["timeZone"] = "Asia/Tokyo";
  w["utcOffset"] = "UTC+9";
  Json tokyo = call_ok(*c, "usage.cost", w);
  EXPECT_DOUBLE_EQ(day_row(tokyo["daily"], "2024-03-10")["totalCost"].get<double>(), 3.0);
  EXPECT_DOUBLE_EQ(day_row(tokyo["daily"], "2024-03-11")["totalCost"].get<double>(), 21.0);

  // Agent filter on the same days.
  Json ops =
      call_ok(*c, "usage.cost",
              Json{{"startDate", "2024-03-09"}, {"endDate", "2024-03-12"}, {"agentId", "ops"}});
  EXPECT_DOUBLE_EQ(ops["totals"]["totalCost"].get<double>(), 6.0);
  EXPECT_EQ(day_row(ops["daily"], "2024-03-10")["totalCost"], 0.0);

  // sessions.usage: per session, with its days; the default agent unless told otherwise.
  Json su =
      call_ok(*c, "sessions.usage", Json{{"startDate", "2024-03-09"}, {"endDate", "2024-03-12"}});
  ASSERT_EQ(su["sessions"].size(), 1u) << su.dump();
  const Json& s = su["sessions"][0];
  EXPECT_EQ(s["key"], "agent:main:main");
  EXPECT_DOUBLE_EQ(s["usage"]["totalCost"].get<double>(), 18.0);
  EXPECT_EQ(s["usage"]["activityDates"], (Json{"2024-03-10"}));
  EXPECT_EQ(s["usage"]["messageCounts"]["user"], 2);
  EXPECT_EQ(s["usage"]["messageCounts"]["assistant"], 2);
  EXPECT_EQ(s["usage"]["firstActivity"], kA);
  EXPECT_EQ(s["usage"]["lastActivity"], kB);
  Json both = call_ok(*c, "sessions.usage",
                      Json{{"startDate", "2024-03-09"},
                           {"endDate", "2024-03-12"},
                           {"agentScope", "all"},
                           {"limit", 1}});
  EXPECT_EQ(both["sessions"].size(), 1u);                             // the page
  EXPECT_EQ(both["sessions"][0]["key"], "agent:ops:main");            // newest activity first
  EXPECT_DOUBLE_EQ(both["totals"]["totalCost"].get<double>(), 24.0);  // everything
  EXPECT_EQ(both["aggregates"]["sessionCount"], 2);
  EXPECT_EQ(both["aggregates"]["byAgent"].size(), 2u);
  EXPECT_EQ(both["aggregates"]["daily"].size(), 2u);
  // No creator profiles: every session is OpenClaw's "unknown" creator.
  ASSERT_EQ(both["aggregates"]["byCreator"].size(), 1u);
  EXPECT_EQ(both["aggregates"]["byCreator"][0]["key"], R"(["unknown"])");
  EXPECT_EQ(both["aggregates"]["byCreator"][0]["sessionCount"], 2);
  EXPECT_DOUBLE_EQ(both["aggregates"]["byCreator"][0]["totals"]["totalCost"].get<double>(), 24.0);
  EXPECT_EQ(both["creatorOptions"].size(), 1u);
}

TEST(Usage, SessionUsageTimeseriesAndLogsOfLiveRuns) {
  FakeLlm llm;
  Script big;
  big.input_tokens = 1'000'000;
  big.output_tokens = 500'000;
  big.times = -1;
  llm.set_default(big);
  START_GATEWAY(gw, with_config(priced_config(llm.url())));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  run_turn(*c, "main", "first", "t-1");
  run_turn(*c, "main", "second", "t-2");
  run_turn(*c, "side", "other session", "t-3");

  Json su = call_ok(*c, "sessions.usage", Json{{"mode", "utc"}, {"days", 1}});
  ASSERT_EQ(su["sessions"].size(), 2u) << su.dump();
  Json main;
  for (const Json& s : su["sessions"])
    if (s["key"] == "agent:main:main") main = s;
  ASSERT_FALSE(main.is_null());
  EXPECT_DOUBLE_EQ(main["usage"]["totalCost"].get<double>(), 21.0);
  EXPECT_EQ(main["usage"]["modelUsage"][0]["model"], "gpt-test");
  EXPECT_EQ(main["usage"]["modelUsage"][0]["count"], 2);
  EXPECT_EQ(main["model"], "gpt-test");
  EXPECT_DOUBLE_EQ(su["totals"]["totalCost"].get<double>(), 31.5);
  EXPECT_EQ(su["aggregates"]["messages"]["user"], 3);
  EXPECT_EQ(su["aggregates"]["byModel"][0]["model"], "gpt-test");
  // One session by key.
  Json one = call_ok(*c, "sessions.usage", Json{{"key", "side"}, {"days", 1}});
  ASSERT_EQ(one["sessions"].size(), 1u);
  EXPECT_EQ(one["sessions"][0]["key"], "agent:main:side");
  EXPECT_DOUBLE_EQ(one["totals"]["totalCost"].get<double>(), 10.5);

  Json ts = call_ok(*c, "sessions.usage.timeseries", Json{{"key", "main"}});
  ASSERT_EQ(ts["points"].size(), 2u) << ts.dump();
  EXPECT_DOUBLE_EQ(ts["points"][0]["cost"].get<double>(), 10.5);
  EXPECT_EQ(ts["points"][1]["cumulativeTokens"], 3'000'000);
  EXPECT_DOUBLE_EQ(ts["points"][1]["cumulativeCost"].get<double>(), 21.0);

  Json logs = call_ok(*c, "sessions.usage.logs", Json{{"key", "main"}, {"limit", 3}});
  ASSERT_EQ(logs["logs"].size(), 3u) << logs.dump();  // the newest three, oldest first
  EXPECT_EQ(logs["logs"][0]["role"], "assistant");
  EXPECT_EQ(logs["logs"][1]["role"], "user");
  EXPECT_EQ(logs["logs"][1]["content"], "second");
  EXPECT_FALSE(logs["logs"][1].contains("cost"));
  EXPECT_DOUBLE_EQ(logs["logs"][2]["cost"].get<double>(), 10.5);
  EXPECT_EQ(logs["logs"][2]["tokens"], 1'500'000);
}

TEST(DerivedTitle, UntitledSessionsGetTheirFirstMessageAsTitle) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(priced_config(llm.url())));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  run_turn(*c, "plan", "  Plan the\tQ3   offsite\nwith all the details below", "d-1");
  std::string long_text;
  for (int i = 0; i < 100; ++i) long_text += "é";  // 2 bytes each
  run_turn(*c, "long", long_text, "d-2");
  run_turn(*c, "cmd", "/status", "d-3");
  run_turn(*c, "named", "whatever", "d-4");
  ASSERT_TRUE(c->call("sessions.patch", Json{{"key", "named"}, {"label", "Release"}}).ok());

  Json list = call_ok(*c, "sessions.list", Json{{"includeDerivedTitles", true}});
  std::map<std::string, Json> rows;
  for (const Json& r : list["sessions"]) rows[r["key"].get<std::string>()] = r;
  EXPECT_EQ(rows["agent:main:plan"]["derivedTitle"], "Plan the Q3 offsite");
  const std::string t = rows["agent:main:long"]["derivedTitle"];
  EXPECT_TRUE(simpleclaw::valid_utf8(t));
  EXPECT_LE(t.size(), 60u + 3u);  // at most 60 bytes, then "…"
  EXPECT_EQ(t.substr(t.size() - 3), "…");
  EXPECT_EQ(t.rfind("éé", 0), 0u);
  EXPECT_FALSE(rows["agent:main:cmd"].contains("derivedTitle"));  // a command is no title
  EXPECT_EQ(rows["agent:main:named"]["derivedTitle"], "Release");

  // Only when asked (OpenClaw's shape), and sessions.describe has it too.
  Json plain = call_ok(*c, "sessions.list", Json::object());
  for (const Json& r : plain["sessions"]) EXPECT_FALSE(r.contains("derivedTitle"));
  Json d = call_ok(*c, "sessions.describe", Json{{"key", "plan"}, {"includeDerivedTitles", true}});
  EXPECT_EQ(d["session"]["derivedTitle"], "Plan the Q3 offsite");
  // A reset session has no first message any more.
  ASSERT_TRUE(c->call("sessions.reset", Json{{"key", "plan"}}).ok());
  Json after = call_ok(*c, "sessions.list", Json{{"includeDerivedTitles", true}});
  for (const Json& r : after["sessions"])
    if (r["key"] == "agent:main:plan") {
      EXPECT_FALSE(r.contains("derivedTitle")) << r.dump();
    }
}

}  // namespace
}  // namespace sctest
