// Usage and cost (usage.cost, sessions.usage, sessions.usage.timeseries,
// sessions.usage.logs) in the shapes OpenClaw 2026.9.6's CLI and Control UI read. Tokens
// come from the transcript entries (SQL sums on the database thread, sessions/usage.h);
// prices from config (models.providers.<p>.models[].cost, USD per 1M tokens). A model
// without a price keeps its tokens, costs 0 and is counted in missingCostEntries (and
// missingCostByModel): never an invented price. Cache tokens are not reported by the
// providers' streams here, so cacheRead/cacheWrite are 0.
#include <algorithm>
#include <map>
#include <set>

#include "agents/agent_directory.h"
#include "agents/session_service.h"
#include "base/json_fields.h"
#include "gateway/live_config.h"
#include "gateway/methods/table.h"
#include "gateway/usage_window.h"
#include "sessions/keys.h"

namespace simpleclaw::gateway {
namespace {

// "provider/model" -> its price; absent = not configured, nullopt = no price set.
using PriceBook = std::map<std::string, std::optional<config::ModelCost>, std::less<>>;

PriceBook price_book(const config::Config& cfg) {
  PriceBook book;
  for (const config::ProviderConfig& p : cfg.models.providers)
    for (const config::ModelEntry& m : p.models) book[p.name + "/" + m.id] = m.cost;
  return book;
}

const config::ModelCost* price_of(const PriceBook& book, const std::string& model) {
  auto it = book.find(model);
  return it != book.end() && it->second ? &*it->second : nullptr;
}

// "openai/gpt-4o" -> {"openai", "gpt-4o"}; "" -> {"unknown", "unknown"}.
std::pair<std::string, std::string> split_model(const std::string& ref) {
  if (ref.empty()) return {"unknown", "unknown"};
  auto slash = ref.find('/');
  if (slash == std::string::npos) return {"unknown", ref};
  return {ref.substr(0, slash), ref.substr(slash + 1)};
}

// OpenClaw's CostUsageTotals.
struct CostTotals {
  std::int64_t input = 0, output = 0;
  double input_cost = 0, output_cost = 0;
  std::int64_t missing = 0;
  std::map<std::string, std::int64_t> missing_by_model;

  void add_tokens(const std::string& model, std::int64_t in, std::int64_t out, std::int64_t entries,
                  const config::ModelCost* price) {
    input += in;
    output += out;
    if (price) {
      input_cost += static_cast<double>(in) * price->input / 1e6;
      output_cost += static_cast<double>(out) * price->output / 1e6;
    } else {
      missing += entries;
      missing_by_model[model.empty() ? "unknown" : model] += entries;
    }
  }
  void add(const CostTotals& o) {
    input += o.input;
    output += o.output;
    input_cost += o.input_cost;
    output_cost += o.output_cost;
    missing += o.missing;
    for (const auto& [m, n] : o.missing_by_model) missing_by_model[m] += n;
  }
  double cost() const { return input_cost + output_cost; }
  std::int64_t tokens() const { return input + output; }
  Json json() const {
    Json j{{"input", input},
           {"output", output},
           {"cacheRead", 0},
           {"cacheWrite", 0},
           {"totalTokens", tokens()},
           {"totalCost", cost()},
           {"inputCost", input_cost},
           {"outputCost", output_cost},
           {"cacheReadCost", 0.0},
           {"cacheWriteCost", 0.0},
           {"missingCostEntries", missing}};
    if (!missing_by_model.empty()) j["missingCostByModel"] = missing_by_model;
    return j;
  }
};

Json with_date(const std::string& date, const CostTotals& t) {
  Json j = t.json();
  j["date"] = date;
  return j;
}

Json cache_status() {
  // Aggregates are read from the database each time: there is no cache to be stale.
  return Json{{"status", "fresh"}, {"cachedFiles", 0}, {"pendingFiles", 0}, {"staleFiles", 0}};
}

// The agent a usage query covers: agentId, every agent (agentScope "all"), or the
// default agent. Answers the error and returns nullopt when the params conflict.
std::optional<std::string> usage_agent(MethodCall& call, bool allow_key) {
  const std::string agent = json_str(call.params, "agentId");
  const bool all = json_str(call.params, "agentScope") == "all";
  if (all && (!agent.empty() || (allow_key && !json_str(call.params, "key").empty()))) {
    call.respond(Error::invalid(std::string("agentScope 'all' cannot be combined with agentId") +
                                (allow_key ? " or key" : "")));
    return std::nullopt;
  }
  if (all) return std::string();
  if (agent.empty()) return call.svc.agents.default_id();
  if (!call.svc.agents.find(agent)) {
    call.respond(
        Error::not_found("unknown agent: " + agent + " (see agents.list)", "AGENT_NOT_FOUND"));
    return std::nullopt;
  }
  return agent;
}

// OpenClaw's key for sessions without a creator profile (all of them here).
constexpr const char* kUnknownCreator = R"(["unknown"])";

// Each day of the window with no usage gets a zero row, so a chart has one bar a day
// (as OpenClaw); windows longer than a year list only the active days.
constexpr int kMaxZeroFillDays = 366;

void fill_days(std::map<std::string, CostTotals>& daily, const UsageWindow& w) {
  if (w.days > kMaxZeroFillDays) return;
  std::string d = w.start_date;
  for (int i = 0; i < w.days && !d.empty(); ++i, d = next_usage_day(d)) daily[d];
}

sessions::UsageQuery usage_query(const UsageWindow& w, const std::string& agent,
                                 const std::string& owner) {
  sessions::UsageQuery q;
  q.start_ms = w.start_ms;
  q.end_ms = w.end_ms;
  q.zone = w.zone;
  q.offset_minutes = w.offset_minutes;
  q.agent_id = agent;
  q.owner = owner;
  return q;
}

// ---------------------------------------------------------------- sessions.usage

struct DayMessages {
  std::int64_t total = 0, user = 0, assistant = 0, tool_results = 0, errors = 0;
  void add(const DayMessages& o) {
    total += o.total;
    user += o.user;
    assistant += o.assistant;
    tool_results += o.tool_results;
    errors += o.errors;
  }
  Json json() const {
    return Json{{"total", total},
                {"user", user},
                {"assistant", assistant},
                {"toolCalls", tool_results},  // every call has exactly one result entry
                {"toolResults", tool_results},
                {"errors", errors}};
  }
};

struct ModelUse {
  std::int64_t count = 0;
  CostTotals totals;
};

// One session's usage in the window, built from the grouped rows.
struct SessionUse {
  CostTotals totals;
  std::map<std::string, CostTotals> daily;                               // day ->
  std::map<std::string, ModelUse> models;                                // model ->
  std::map<std::pair<std::string, std::string>, ModelUse> daily_models;  // (day, model) ->
  std::map<std::string, DayMessages> day_messages;
  std::map<std::string, std::int64_t> tools;
  std::int64_t first = 0, last = 0;

  void seen(std::int64_t a, std::int64_t b) {
    first = first == 0 ? a : std::min(first, a);
    last = std::max(last, b);
  }
  DayMessages messages() const {
    DayMessages m;
    for (const auto& [d, x] : day_messages) m.add(x);
    return m;
  }
  Json json(const std::string& session_id) const {
    Json j = totals.json();
    j["sessionId"] = session_id;
    j["firstActivity"] = first;
    j["lastActivity"] = last;
    j["durationMs"] = last - first;
    Json dates = Json::array(), breakdown = Json::array(), counts = Json::array();
    std::set<std::string> days;
    for (const auto& [d, x] : day_messages) days.insert(d);
    for (const auto& [d, x] : daily) days.insert(d);
    for (const std::string& d : days) dates.push_back(d);
    for (const auto& [d, t] : daily)
      breakdown.push_back(Json{{"date", d}, {"tokens", t.tokens()}, {"cost", t.cost()}});
    for (const auto& [d, m] : day_messages) {
      Json c = m.json();
      c["date"] = d;
      counts.push_back(std::move(c));
    }
    Json models_json = Json::array(), daily_models_json = Json::array();
    for (const auto& [ref, u] : models) {
      auto [provider, model] = split_model(ref);
      models_json.push_back(Json{{"provider", provider},
                                 {"model", model},
                                 {"count", u.count},
                                 {"totals", u.totals.json()}});
    }
    for (const auto& [dm, u] : daily_models) {
      auto [provider, model] = split_model(dm.second);
      daily_models_json.push_back(Json{{"date", dm.first},
                                       {"provider", provider},
                                       {"model", model},
                                       {"tokens", u.totals.tokens()},
                                       {"cost", u.totals.cost()},
                                       {"count", u.count}});
    }
    Json tool_list = Json::array();
    std::int64_t calls = 0;
    for (const auto& [name, n] : tools) {
      tool_list.push_back(Json{{"name", name}, {"count", n}});
      calls += n;
    }
    j["activityDates"] = std::move(dates);
    j["dailyBreakdown"] = std::move(breakdown);
    j["dailyMessageCounts"] = std::move(counts);
    j["dailyLatency"] = Json::array();
    j["dailyModelUsage"] = std::move(daily_models_json);
    j["messageCounts"] = messages().json();
    j["toolUsage"] = Json{{"totalCalls", calls},
                          {"uniqueTools", static_cast<std::int64_t>(tools.size())},
                          {"tools", std::move(tool_list)}};
    j["modelUsage"] = std::move(models_json);
    return j;
  }
};

std::map<std::string, SessionUse> per_session(const sessions::UsageData& data,
                                              const PriceBook& book) {
  std::map<std::string, SessionUse> out;
  for (const sessions::UsageRow& r : data.usage) {
    SessionUse& s = out[r.key];
    const config::ModelCost* price = price_of(book, r.model);
    s.totals.add_tokens(r.model, r.input, r.output, r.entries, price);
    s.daily[r.day].add_tokens(r.model, r.input, r.output, r.entries, price);
    ModelUse& m = s.models[r.model];
    m.count += r.entries;
    m.totals.add_tokens(r.model, r.input, r.output, r.entries, price);
    ModelUse& dm = s.daily_models[{r.day, r.model}];
    dm.count += r.entries;
    dm.totals.add_tokens(r.model, r.input, r.output, r.entries, price);
    s.seen(r.first_at, r.last_at);
  }
  for (const sessions::MessageRow& r : data.messages) {
    SessionUse& s = out[r.key];
    DayMessages& d = s.day_messages[r.day];
    d.total += r.count;
    d.errors += r.errors;
    if (r.role == "user") d.user += r.count;
    if (r.role == "assistant") d.assistant += r.count;
    if (r.role == "tool") d.tool_results += r.count;
    s.seen(r.first_at, r.last_at);
  }
  for (const sessions::ToolRow& r : data.tools) out[r.key].tools[r.tool] += r.count;
  return out;
}

// OpenClaw's aggregates: everything in the window, not only the page of sessions.
Json aggregates_json(const std::map<std::string, SessionUse>& uses,
                     const std::map<std::string, std::string>& agent_of,
                     const std::map<std::string, std::string>& channel_of) {
  DayMessages messages;
  std::map<std::string, std::int64_t> tools;
  std::map<std::string, ModelUse> models, providers;
  std::map<std::string, CostTotals> agents, channels, cost_days;
  struct Day {
    std::int64_t tokens = 0, messages = 0, tool_calls = 0, errors = 0;
    double cost = 0;
  };
  std::map<std::string, Day> days;
  std::map<std::pair<std::string, std::string>, ModelUse> daily_models;
  std::int64_t longest = 0;
  for (const auto& [key, u] : uses) {
    messages.add(u.messages());
    for (const auto& [name, n] : u.tools) tools[name] += n;
    for (const auto& [ref, m] : u.models) {
      ModelUse& a = models[ref];
      a.count += m.count;
      a.totals.add(m.totals);
      ModelUse& p = providers[split_model(ref).first];
      p.count += m.count;
      p.totals.add(m.totals);
    }
    if (auto it = agent_of.find(key); it != agent_of.end()) agents[it->second].add(u.totals);
    if (auto it = channel_of.find(key); it != channel_of.end() && !it->second.empty())
      channels[it->second].add(u.totals);
    for (const auto& [d, t] : u.daily) {
      cost_days[d].add(t);
      days[d].tokens += t.tokens();
      days[d].cost += t.cost();
    }
    for (const auto& [d, m] : u.day_messages) {
      days[d].messages += m.total;
      days[d].tool_calls += m.tool_results;
      days[d].errors += m.errors;
    }
    for (const auto& [dm, m] : u.daily_models) {
      ModelUse& a = daily_models[dm];
      a.count += m.count;
      a.totals.add(m.totals);
    }
    longest = std::max(longest, u.last - u.first);
  }
  auto by_cost = [](Json& arr) {
    std::stable_sort(arr.begin(), arr.end(), [](const Json& a, const Json& b) {
      return a["totals"]["totalCost"].get<double>() > b["totals"]["totalCost"].get<double>();
    });
  };
  Json tool_list = Json::array();
  std::int64_t calls = 0;
  for (const auto& [name, n] : tools) {
    tool_list.push_back(Json{{"name", name}, {"count", n}});
    calls += n;
  }
  Json by_model = Json::array(), by_provider = Json::array(), by_agent = Json::array(),
       by_channel = Json::array(), cost_daily = Json::array(), daily = Json::array(),
       model_daily = Json::array();
  for (const auto& [ref, m] : models) {
    auto [provider, model] = split_model(ref);
    by_model.push_back(Json{
        {"provider", provider}, {"model", model}, {"count", m.count}, {"totals", m.totals.json()}});
  }
  for (const auto& [provider, m] : providers)
    by_provider.push_back(
        Json{{"provider", provider}, {"count", m.count}, {"totals", m.totals.json()}});
  for (const auto& [agent, t] : agents)
    by_agent.push_back(Json{{"agentId", agent}, {"totals", t.json()}});
  for (const auto& [channel, t] : channels)
    by_channel.push_back(Json{{"channel", channel}, {"totals", t.json()}});
  by_cost(by_model);
  by_cost(by_provider);
  by_cost(by_agent);
  by_cost(by_channel);
  for (const auto& [d, t] : cost_days) cost_daily.push_back(with_date(d, t));
  for (const auto& [d, x] : days)
    daily.push_back(Json{{"date", d},
                         {"tokens", x.tokens},
                         {"cost", x.cost},
                         {"messages", x.messages},
                         {"toolCalls", x.tool_calls},
                         {"errors", x.errors}});
  for (const auto& [dm, m] : daily_models) {
    auto [provider, model] = split_model(dm.second);
    model_daily.push_back(Json{{"date", dm.first},
                               {"provider", provider},
                               {"model", model},
                               {"tokens", m.totals.tokens()},
                               {"cost", m.totals.cost()},
                               {"count", m.count}});
  }
  // Sessions have no creator profiles here: every session is OpenClaw's "unknown" creator
  // (the Usage panel's "started by" card shows them all under it).
  Json creators = Json::array();
  if (!uses.empty()) {
    CostTotals all;
    std::map<std::string, int> activity;  // the dates a session was active -> sessions
    for (const auto& [key, u] : uses) {
      all.add(u.totals);
      Json dates = Json::array();
      std::set<std::string> ds;
      for (const auto& [d, m] : u.day_messages) ds.insert(d);
      for (const auto& [d, t] : u.daily) ds.insert(d);
      for (const std::string& d : ds) dates.push_back(d);
      ++activity[dates.dump()];
    }
    Json sessions_activity = Json::array();
    for (const auto& [dates, n] : activity)
      sessions_activity.push_back(Json{{"dates", Json::parse(dates)}, {"sessionCount", n}});
    creators.push_back(Json{{"key", kUnknownCreator},
                            {"totals", all.json()},
                            {"sessionCount", static_cast<std::int64_t>(uses.size())},
                            {"daily", cost_daily},
                            {"sessionActivity", std::move(sessions_activity)}});
  }
  Json j{{"sessionCount", static_cast<std::int64_t>(uses.size())},
         {"messages", messages.json()},
         {"tools",
          {{"totalCalls", calls},
           {"uniqueTools", static_cast<std::int64_t>(tools.size())},
           {"tools", std::move(tool_list)}}},
         {"byModel", std::move(by_model)},
         {"byProvider", std::move(by_provider)},
         {"byAgent", std::move(by_agent)},
         {"byChannel", std::move(by_channel)},
         {"byCreator", creators},
         {"costDaily", std::move(cost_daily)},
         {"dailyLatency", Json::array()},
         {"modelDaily", std::move(model_daily)},
         {"daily", std::move(daily)}};
  if (longest > 0) j["longestSessionDurationMs"] = longest;
  return j;
}

// A session's key from params.key, canonical; answers the error when it is malformed.
std::optional<std::string> usage_key(MethodCall& call) {
  auto key =
      call.svc.agents.parse_key(json_str(call.params, "key"), json_str(call.params, "agentId"));
  if (!key.ok()) {
    call.respond(key.error());
    return std::nullopt;
  }
  return key->key;
}

}  // namespace

void method_usage_cost(MethodCall& call) {
  auto window = usage_window(call.params, call.svc.clock.wall_ms());
  if (!window.ok()) return call.respond(window.error());
  auto agent = usage_agent(call, false);
  if (!agent) return;
  Services& svc = call.svc;
  UsageWindow w = *window;
  svc.sessions.usage(usage_query(w, *agent, call.client.user), [&svc, w, respond = call.respond](
                                                                   Result<sessions::UsageData> r) {
    if (!r.ok()) return respond(r.error());
    const PriceBook book = price_book(svc.config.cfg());
    CostTotals totals;
    std::map<std::string, CostTotals> daily;
    std::map<std::string, ModelUse> models;
    fill_days(daily, w);
    for (const sessions::UsageRow& row : r->usage) {
      const config::ModelCost* price = price_of(book, row.model);
      totals.add_tokens(row.model, row.input, row.output, row.entries, price);
      daily[row.day].add_tokens(row.model, row.input, row.output, row.entries, price);
      ModelUse& m = models[row.model];
      m.count += row.entries;
      m.totals.add_tokens(row.model, row.input, row.output, row.entries, price);
    }
    Json days = Json::array(), by_model = Json::array();
    for (const auto& [d, t] : daily) days.push_back(with_date(d, t));
    for (const auto& [ref, m] : models) {
      auto [provider, model] = split_model(ref);
      by_model.push_back(Json{{"provider", provider},
                              {"model", model},
                              {"priced", price_of(book, ref) != nullptr},
                              {"count", m.count},
                              {"totals", m.totals.json()}});
    }
    Json out{{"updatedAt", svc.clock.wall_ms()},
             {"startDate", w.start_date},
             {"endDate", w.end_date},
             {"days", w.days},
             {"daily", std::move(days)},
             {"totals", totals.json()},
             {"byModel", std::move(by_model)},
             {"cacheStatus", cache_status()}};
    if (r->truncated) out["truncated"] = true;
    respond(std::move(out));
  });
}

void method_sessions_usage(MethodCall& call) {
  auto window = usage_window(call.params, call.svc.clock.wall_ms());
  if (!window.ok()) return call.respond(window.error());
  std::optional<std::string> key;
  if (!json_str(call.params, "key").empty()) {
    key = usage_key(call);
    if (!key) return;
  }
  auto agent = usage_agent(call, true);
  if (!agent) return;
  const int limit = std::min(json_int(call.params, "limit", 50), 1000);
  sessions::UsageQuery q = usage_query(*window, key ? std::string() : *agent, call.client.user);
  q.per_session = true;
  if (key) q.key = *key;
  Services& svc = call.svc;
  UsageWindow w = *window;
  svc.sessions.usage(q, [&svc, w, limit,
                         respond = call.respond](Result<sessions::UsageData> r) mutable {
    if (!r.ok()) return respond(r.error());
    auto uses = std::make_shared<std::map<std::string, SessionUse>>(
        per_session(*r, price_book(svc.config.cfg())));
    // Newest activity first; the page is the first `limit`, the totals cover them all.
    std::vector<std::string> order;
    for (const auto& [k, u] : *uses) order.push_back(k);
    std::stable_sort(order.begin(), order.end(), [&](const std::string& a, const std::string& b) {
      return uses->at(a).last > uses->at(b).last;
    });
    const bool truncated = r->truncated;
    // Rows (labels, models) only for the page; agent and channel of every key come from
    // the key itself (sessions/keys.h).
    std::vector<std::string> page(order.begin(),
                                  order.begin() + std::min<std::size_t>(order.size(), limit));
    svc.sessions.rows(std::move(page), [&svc, w, limit, truncated, uses, order = std::move(order),
                                        respond](Result<std::vector<sessions::SessionRow>> rows) {
      if (!rows.ok()) return respond(rows.error());
      std::map<std::string, const sessions::SessionRow*> by_key;
      std::map<std::string, std::string> agent_of, channel_of;
      for (const auto& row : *rows) {
        by_key[row.key] = &row;
      }
      for (const std::string& k : order) {
        auto parsed = sessions::parse_session_key(k, "");
        if (!parsed.ok()) continue;
        agent_of[k] = parsed->agent_id;
        channel_of[k] = parsed->channel;
      }
      CostTotals totals;
      Json list = Json::array();
      for (const std::string& k : order) {
        const SessionUse& u = uses->at(k);
        totals.add(u.totals);
        auto it = by_key.find(k);
        if (it == by_key.end() || static_cast<int>(list.size()) >= limit) continue;
        const sessions::SessionRow& row = *it->second;
        std::string model =
            row.model_override.empty() ? svc.agents.model_of(row.agent_id) : row.model_override;
        auto [provider, model_id] = split_model(model);
        Json s{{"key", row.key},
               {"sessionId", row.session_id},
               {"scope", "instance"},
               {"updatedAt", row.updated_at},
               {"agentId", row.agent_id},
               {"chatType", row.kind == "group" ? "group" : "direct"},
               {"modelProvider", provider},
               {"model", model_id},
               {"usage", u.json(row.session_id)},
               {"hasContextWeight", false}};
        if (!row.label.empty()) s["label"] = row.label;
        if (!row.channel.empty()) s["channel"] = row.channel;
        if (!row.model_override.empty()) s["modelOverride"] = row.model_override;
        list.push_back(std::move(s));
      }
      Json out{{"updatedAt", svc.clock.wall_ms()},
               {"startDate", w.start_date},
               {"endDate", w.end_date},
               {"sessions", std::move(list)},
               {"totals", totals.json()},
               {"aggregates", aggregates_json(*uses, agent_of, channel_of)},
               {"creatorOptions",
                uses->empty() ? Json::array() : Json::array({Json{{"key", kUnknownCreator}}})},
               {"cacheStatus", cache_status()}};
      if (truncated) out["truncated"] = true;
      respond(std::move(out));
    });
  });
}

void method_sessions_usage_timeseries(MethodCall& call) {
  auto key = usage_key(call);
  if (!key) return;
  constexpr int kMaxPoints = 200;     // what a chart draws (OpenClaw's bound)
  constexpr int kMaxEntries = 10000;  // newest entries read; older ones are left out
  Services& svc = call.svc;
  svc.sessions.usage_entries(
      *key, true, kMaxEntries, 0,
      [&svc, k = *key, respond = call.respond](Result<std::vector<sessions::UsageEntry>> r) {
        if (!r.ok()) return respond(r.error());
        const PriceBook book = price_book(svc.config.cfg());
        // Consecutive entries merged into at most kMaxPoints points (each keeps the
        // timestamp of its last entry), then running totals.
        const std::size_t step = (r->size() + kMaxPoints - 1) / kMaxPoints;
        Json points = Json::array();
        std::int64_t cum_tokens = 0;
        double cum_cost = 0;
        for (std::size_t i = 0; i < r->size(); i += std::max<std::size_t>(step, 1)) {
          CostTotals t;
          std::int64_t ts = 0;
          for (std::size_t k2 = i; k2 < std::min(r->size(), i + std::max<std::size_t>(step, 1));
               ++k2) {
            const sessions::UsageEntry& e = (*r)[k2];
            t.add_tokens(e.model, e.input, e.output, 1, price_of(book, e.model));
            ts = e.created_at;
          }
          cum_tokens += t.tokens();
          cum_cost += t.cost();
          points.push_back(Json{{"timestamp", ts},
                                {"input", t.input},
                                {"output", t.output},
                                {"cacheRead", 0},
                                {"cacheWrite", 0},
                                {"totalTokens", t.tokens()},
                                {"cost", t.cost()},
                                {"cumulativeTokens", cum_tokens},
                                {"cumulativeCost", cum_cost}});
        }
        respond(Json{{"sessionKey", k}, {"points", std::move(points)}});
      });
}

void method_sessions_usage_logs(MethodCall& call) {
  auto key = usage_key(call);
  if (!key) return;
  const int limit = std::min(json_int(call.params, "limit", 200), 1000);
  constexpr std::size_t kMaxText = 2000;  // characters of each message shown
  Services& svc = call.svc;
  svc.sessions.usage_entries(
      *key, false, limit, kMaxText,
      [&svc, respond = call.respond](Result<std::vector<sessions::UsageEntry>> r) {
        if (!r.ok()) return respond(r.error());
        const PriceBook book = price_book(svc.config.cfg());
        Json logs = Json::array();
        for (const sessions::UsageEntry& e : *r) {
          std::string content =
              e.role == "tool" ? "[Tool: " + e.tool_name + "]\n" + e.text : e.text;
          Json l{{"timestamp", e.created_at}, {"role", e.role}, {"content", std::move(content)}};
          if (e.role == "assistant" && e.input + e.output > 0) {
            CostTotals t;
            t.add_tokens(e.model, e.input, e.output, 1, price_of(book, e.model));
            l["tokens"] = t.tokens();
            l["cost"] = t.cost();
          }
          logs.push_back(std::move(l));
        }
        respond(Json{{"logs", std::move(logs)}});
      });
}

}  // namespace simpleclaw::gateway
