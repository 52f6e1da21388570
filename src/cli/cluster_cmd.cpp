// `simpleclaw cluster status`: the cluster this config joins, read from its database
// (docs/cluster.md): the instances with their liveness leases (how long ago each renewed:
// its lag), which one leads cron, the other leases, and each instance's runs. It reads
// the store only (no gateway needs to run here), and never shows a password.
#include <cstdio>
#include <map>

#include "cli/cli.h"
#include "config/config.h"
#include "gateway/runtime.h"
#include "store/db.h"

namespace simpleclaw::cli {
namespace {

struct Row {
  std::string name, holder;
  std::int64_t epoch = 0, expires_at = 0;
};

std::string seconds(std::int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms) / 1000.0);
  return buf;
}

Result<std::vector<std::vector<std::string>>> query(store::Db& db, const std::string& sql) {
  auto st = db.prepare(sql);
  if (!st.ok()) return st.error();
  std::vector<std::vector<std::string>> out;
  for (;;) {
    auto r = st->step();
    if (!r.ok()) return r.error();
    if (!*r) return out;
    std::vector<std::string> row;
    for (int i = 0; i < st->columns(); ++i) row.push_back(st->text(i));
    out.push_back(std::move(row));
  }
}

}  // namespace

int cluster_status_command(const std::string& state_flag, const std::string& config_flag,
                           bool json_out) {
  const std::string state = gateway::resolve_state_dir(state_flag);
  const std::string path = gateway::resolve_config_path(config_flag, state);
  config::Parsed parsed = config::parse(config::read_state(path).raw);
  if (!parsed.ok()) {
    std::fprintf(stderr, "error: %s is invalid: %s\n", path.c_str(),
                 parsed.issues.front().to_string().c_str());
    return 2;
  }
  const config::Config& cfg = parsed.config;
  if (!cfg.cluster.enabled()) {
    std::fprintf(stderr,
                 "error: %s joins no cluster: set cluster.name (with store.backend: postgres and "
                 "cluster.nats.url; see docs/cluster.md)\n",
                 path.c_str());
    return 2;
  }
  auto url = config::postgres_url(cfg.store);
  if (!url.ok()) {
    std::fprintf(stderr, "error: %s\n", url.error().message.c_str());
    return 1;
  }
  auto db = store::Db::open_postgres(*url);
  if (!db.ok()) {
    std::fprintf(stderr, "error: %s\n", db.error().message.c_str());  // no password in it
    return 1;
  }
  auto now_rows = query(*db, "SELECT CAST(extract(epoch FROM clock_timestamp()) * 1000 AS BIGINT)");
  auto lease_rows = query(*db, "SELECT name, holder, epoch, expires_at FROM leases ORDER BY name");
  auto run_rows = query(*db,
                        "SELECT instance, status, count(*) FROM runs WHERE status IN "
                        "('running', 'queued') GROUP BY instance, status");
  auto doc_rows = query(*db, "SELECT version, updated_by FROM cluster_config WHERE id = 1");
  for (auto* r : {&now_rows, &lease_rows, &run_rows})
    if (!r->ok()) {
      std::fprintf(stderr,
                   "error: %s: %s (has a gateway of this cluster started on this database?)\n",
                   db->path().c_str(), r->error().message.c_str());
      return 1;
    }
  const std::int64_t now = std::stoll((*now_rows)[0][0]);
  const std::int64_t ttl = cfg.cluster.lease_ttl_ms;
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> runs;  // running, queued
  for (const auto& r : *run_rows)
    (r[1] == "running" ? runs[r[0]].first : runs[r[0]].second) += std::stoll(r[2]);
  std::string leader;
  Json instances = Json::array(), leases = Json::array();
  for (const auto& r : *lease_rows) {
    Row l{r[0], r[1], std::stoll(r[2]), std::stoll(r[3])};
    const bool live = l.expires_at >= now && !l.holder.empty();
    if (l.name == "cron:leader" && live) leader = l.holder.substr(0, l.holder.find('#'));
    if (l.name.rfind("instance:", 0) == 0) {
      std::string id = l.name.substr(9);
      instances.push_back(Json{{"id", id},
                               {"holder", l.holder},
                               {"live", live},
                               {"renewedAgoMs", now - (l.expires_at - ttl)},
                               {"expiresInMs", l.expires_at - now},
                               {"running", runs[id].first},
                               {"queued", runs[id].second}});
    } else {
      leases.push_back(Json{{"name", l.name},
                            {"holder", l.holder},
                            {"epoch", l.epoch},
                            {"live", live},
                            {"expiresInMs", l.expires_at - now}});
    }
  }
  Json out{{"cluster", cfg.cluster.name},
           {"database", db->path()},
           {"leader", leader},
           {"instances", instances},
           {"leases", leases}};
  if (doc_rows.ok() && !doc_rows->empty())
    out["config"] =
        Json{{"version", std::stoll((*doc_rows)[0][0])}, {"updatedBy", (*doc_rows)[0][1]}};
  if (json_out) {
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  int live = 0;
  for (const Json& i : instances) live += i["live"].get<bool>() ? 1 : 0;
  std::printf("cluster %s on %s", cfg.cluster.name.c_str(), db->path().c_str());
  if (out.contains("config"))
    std::printf(" (config version %lld, written by %s)",
                static_cast<long long>(out["config"]["version"].get<std::int64_t>()),
                out["config"]["updatedBy"].get<std::string>().c_str());
  std::printf("\ninstances: %d live", live);
  if (instances.size() > static_cast<std::size_t>(live))
    std::printf(", %zu gone", instances.size() - static_cast<std::size_t>(live));
  std::printf("\n");
  for (const Json& i : instances) {
    const std::string id = i["id"];
    const bool is_live = i["live"];
    std::printf("  %-20s %s  %s   runs: %lld running, %lld queued%s\n", id.c_str(),
                is_live ? "live" : "GONE",
                is_live ? ("renewed " + seconds(i["renewedAgoMs"]) + " ago").c_str()
                        : ("lease expired " + seconds(-i["expiresInMs"].get<std::int64_t>()) +
                           " ago (the others take its work over)")
                              .c_str(),
                static_cast<long long>(i["running"].get<std::int64_t>()),
                static_cast<long long>(i["queued"].get<std::int64_t>()),
                id == leader ? "   [cron leader]" : "");
  }
  if (leader.empty()) std::printf("cron leader: none yet (taken at the next renewal)\n");
  if (!leases.empty()) std::printf("leases:\n");
  for (const Json& l : leases)
    std::printf(
        "  %-32s %s (epoch %lld)%s\n", l["name"].get<std::string>().c_str(),
        l["holder"].get<std::string>().empty() ? "-" : l["holder"].get<std::string>().c_str(),
        static_cast<long long>(l["epoch"].get<std::int64_t>()),
        l["live"].get<bool>() ? (", expires in " + seconds(l["expiresInMs"])).c_str() : ", free");
  return 0;
}

}  // namespace simpleclaw::cli
