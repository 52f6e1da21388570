// Catalog: the models the config names (models.providers.*.models), how to reach each,
// and whether its provider answered the last availability probe.
//
// A model reference is "provider/model". resolve() accepts a model id the provider does
// not list (providers add models faster than configs change) with default limits.
// Probing sends one cheap GET per provider (WireFormat::probe_request); the result
// feeds models.list `available`. A provider with `plugin` is served by a provider plugin
// (plugin_models.h): it is never probed, is available while the plugin runs, and lists
// the plugin's own models (provider/models) when the config lists none.
//
// Implicit providers (config/implicit_providers.h): the env ones come with the config;
// the local Ollama is found here. When the config has ollama_probe_url, one async GET of
// <url>/api/tags (short timeouts, never awaited by start-up) adds provider "ollama" with
// the models it lists, and makes the default model ollama/<first> when nothing else gave
// one. A probe() while it was not found asks again (Ollama started later); probing() is
// true while it is asked, so models.list answers after it.
//
// Threading: loop thread only. Rebuilt from config on hot reload (probe state kept for
// providers whose endpoint did not change; a found Ollama kept while its URL is the same).
#pragma once
#include <boost/asio/io_context.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/alive.h"
#include "base/clock.h"
#include "config/config.h"
#include "providers/plugin_models.h"
#include "providers/provider.h"
#include "simpleclaw/result.h"

namespace simpleclaw::providers {

struct ResolvedModel {
  std::string ref;                                   // "provider/model"
  const config::ProviderConfig* provider = nullptr;  // points into the catalog's config
  const WireFormat* wire = nullptr;                  // HTTP wire format (null when `plugin` is set)
  config::ModelEntry model;                          // listed entry, or defaults for an unlisted id
  std::string plugin;                     // set: served by this provider plugin, not over HTTP
  std::shared_ptr<PluginModels> plugins;  // plugin providers: how to reach them (may be null)
};

struct ProbeState {
  bool probed = false;
  bool ok = false;
  std::int64_t at_ms = 0;
  std::string error;
};

class Catalog {
 public:
  explicit Catalog(boost::asio::io_context& io, const Clock& clock = system_clock())
      : io_(io), clock_(clock) {}
  void set_config(const config::ModelsConfig& models);
  void configure(const config::Config& cfg) { set_config(cfg.models); }
  // The wire formats this build offers (the registry's providers; the three built-in ones
  // when never called). A provider whose `api` is left out resolves to an error saying so.
  // Not owned: they outlive the catalog.
  void set_wire_formats(std::vector<const WireFormat*> wires) { wires_ = std::move(wires); }
  const WireFormat* wire_for(std::string_view api) const;
  // Provider plugins (models.providers.<id>.plugin), wired in by the gateway; null = none.
  void set_plugins(std::shared_ptr<PluginModels> plugins) { plugins_ = std::move(plugins); }

  // "provider/model" -> where and how; errors name what is missing and how to fix it.
  Result<ResolvedModel> resolve(const std::string& ref) const;
  const std::string& default_model() const { return models_.default_model; }
  const config::ModelsConfig& config() const { return models_; }

  // models.list payload: {models:[{id, name, provider, contextWindow, reasoning, available,
  // tags?}]}; an implicit provider's rows carry tags ["implicit", "env:OPENAI_API_KEY"] (or
  // "detected:<Ollama URL>").
  Json list_json() const;
  // Where the models come from, for `status` (subsystems.models): {source: "config" |
  // "implicit" | "none", default, providers: [{name, api, source, from?}], ollama?: {url,
  // state: "probing" | "found" | "not-found", models, error?}}. Never a key.
  Json source_json() const;
  // Probes every provider (at most one probe in flight per provider); `done` runs once
  // all have answered or failed. Safe to call while a probe is running.
  void probe(std::function<void()> done);
  bool probing() const { return in_flight_ > 0 || ollama_.state == LocalState::kProbing; }
  // Keep-alive connections to the providers, shared by probes and model calls.
  const std::shared_ptr<net::ConnectionPool>& pool() const { return pool_; }
  const std::map<std::string, ProbeState>& probe_states() const { return probes_; }

 private:
  enum class LocalState { kOff, kProbing, kFound, kNotFound };
  struct LocalOllama {
    std::string url;  // "" = no detection (providers configured, or implicit off)
    LocalState state = LocalState::kOff;
    std::string error;
    std::vector<config::ModelEntry> models;
  };
  void detect_ollama();
  void add_found_ollama();  // the found Ollama into models_ (and the default model)
  void settle();            // runs the probe waiters once nothing is in flight

  boost::asio::io_context& io_;
  const Clock& clock_;
  config::ModelsConfig models_;
  std::shared_ptr<net::ConnectionPool> pool_ = std::make_shared<net::ConnectionPool>();
  std::map<std::string, ProbeState> probes_;  // by provider name
  std::vector<const WireFormat*> wires_{&openai_wire(), &anthropic_wire(), &ollama_wire()};
  std::shared_ptr<PluginModels> plugins_;
  int in_flight_ = 0;
  std::vector<std::function<void()>> waiters_;
  std::uint64_t generation_ = 0;  // bumps on set_config; stale probe answers are ignored
  LocalOllama ollama_;
  std::uint64_t ollama_gen_ = 0;  // bumps when the Ollama URL changes; stale answers ignored
  Alive alive_;                   // last: probe answers after destruction are dropped
};

}  // namespace simpleclaw::providers
