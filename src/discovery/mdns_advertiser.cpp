#include "discovery/mdns_advertiser.h"

#include "discovery/avahi_lib.h"
#include "discovery/txt_record.h"

namespace simpleclaw::discovery {

// Everything below runs on Avahi's thread (or before it starts / after it stopped).
struct MdnsAdvertiser::Impl {
  AvahiThreadedPoll* poll = nullptr;
  AvahiClient* client = nullptr;
  AvahiEntryGroup* group = nullptr;
  AvahiTimeout* retry = nullptr;
  std::string name;
  int port = 0;
  std::vector<std::string> txt;
  OnStatus on_status;
  MdnsStatus last;

  void report(const std::string& state, const std::string& error = "") {
    if (state == last.state && name == last.service_name && error == last.error) return;
    last = MdnsStatus{state, name, error};
    if (on_status) on_status(last);
  }

  void new_client() {
    int err = 0;
    AvahiClient* c = av().client_new(av().threaded_poll_get(poll), AVAHI_CLIENT_NO_FAIL,
                                     &Impl::client_cb, this, &err);
    if (c) {
      client = c;
      return;
    }
    // No system bus at all (NO_FAIL only covers a missing daemon): try again later.
    report("no-daemon", av().strerror(err));
    struct timeval tv;
    const AvahiPoll* api = av().threaded_poll_get(poll);
    av().elapse_time(&tv, kRetryMs, 0);
    if (retry)
      api->timeout_update(retry, &tv);
    else
      retry = api->timeout_new(api, &tv, &Impl::retry_cb, this);
  }

  static void retry_cb(AvahiTimeout*, void* ud) {
    auto* self = static_cast<Impl*>(ud);
    if (!self->client) self->new_client();
  }

  void register_service(AvahiClient* c) {
    if (!group) group = av().entry_group_new(c, &Impl::group_cb, this);
    if (!group) {
      report("failed", av().strerror(av().client_errno(c)));
      return;
    }
    if (!av().entry_group_is_empty(group)) return;
    AvahiStringList* list = nullptr;
    for (auto it = txt.rbegin(); it != txt.rend(); ++it)  // prepend keeps our order
      list = av().string_list_add(list, it->c_str());
    for (int attempt = 0; attempt < 16; ++attempt) {
      int r = av().entry_group_add_service_strlst(
          group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, AvahiPublishFlags(0), name.c_str(),
          kServiceType, nullptr, nullptr, static_cast<uint16_t>(port), list);
      if (r == AVAHI_ERR_COLLISION) {  // a local service already has this name
        rename();
        av().entry_group_reset(group);
        continue;
      }
      if (r >= 0) r = av().entry_group_commit(group);
      if (r < 0)
        report("failed", av().strerror(r));
      else
        report("registering");
      break;
    }
    av().string_list_free(list);
  }

  void rename() {
    char* alt = av().alternative_service_name(name.c_str());
    name = alt;
    av().free(alt);
  }

  static void group_cb(AvahiEntryGroup* g, AvahiEntryGroupState state, void* ud) {
    auto* self = static_cast<Impl*>(ud);
    switch (state) {
      case AVAHI_ENTRY_GROUP_ESTABLISHED:
        self->report("advertised");
        break;
      case AVAHI_ENTRY_GROUP_COLLISION:  // another host on the LAN has this name
        self->rename();
        av().entry_group_reset(g);
        self->register_service(av().entry_group_get_client(g));
        break;
      case AVAHI_ENTRY_GROUP_FAILURE:
        self->report("failed", av().strerror(av().client_errno(av().entry_group_get_client(g))));
        break;
      default:
        break;
    }
  }

  static void client_cb(AvahiClient* c, AvahiClientState state, void* ud) {
    auto* self = static_cast<Impl*>(ud);
    self->client = c;  // also during avahi_client_new, before it returns
    switch (state) {
      case AVAHI_CLIENT_S_RUNNING:
        self->register_service(c);
        break;
      case AVAHI_CLIENT_S_COLLISION:
      case AVAHI_CLIENT_S_REGISTERING:
        // The host name changes: withdraw; S_RUNNING registers again.
        if (self->group) av().entry_group_reset(self->group);
        self->report("registering");
        break;
      case AVAHI_CLIENT_CONNECTING:
        self->report("no-daemon", av().strerror(AVAHI_ERR_NO_DAEMON));
        break;
      case AVAHI_CLIENT_FAILURE: {
        int err = av().client_errno(c);
        // The daemon went away (restart, stop): start over and wait for it to come back.
        av().client_free(c);
        self->client = nullptr;
        self->group = nullptr;  // freed with the client
        self->report(err == AVAHI_ERR_DISCONNECTED ? "no-daemon" : "failed", av().strerror(err));
        self->new_client();
        break;
      }
    }
  }
};

MdnsAdvertiser::MdnsAdvertiser(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<MdnsAdvertiser>> MdnsAdvertiser::start(std::string name, int port,
                                                              std::vector<std::string> txt,
                                                              OnStatus on_status) {
  if (auto lib = load_avahi(); !lib.ok()) return lib.error();
  auto impl = std::make_unique<Impl>();
  impl->name = instance_name(name);
  impl->port = port;
  impl->txt = std::move(txt);
  impl->on_status = std::move(on_status);
  impl->poll = av().threaded_poll_new();
  if (!impl->poll) return Error::unavailable("cannot create the Avahi poll thread");
  impl->report("starting");
  impl->new_client();  // callbacks run here, on this thread, until the poll starts
  if (av().threaded_poll_start(impl->poll) < 0) {
    if (impl->client) av().client_free(impl->client);
    av().threaded_poll_free(impl->poll);
    return Error::unavailable("cannot start the Avahi poll thread");
  }
  return std::unique_ptr<MdnsAdvertiser>(new MdnsAdvertiser(std::move(impl)));
}

MdnsAdvertiser::~MdnsAdvertiser() {
  if (!impl_) return;
  av().threaded_poll_stop(impl_->poll);
  // Freeing the client frees its entry group: the daemon withdraws the record (goodbye
  // packets with TTL 0), so browsers drop it at once.
  if (impl_->client) av().client_free(impl_->client);
  if (impl_->retry) av().threaded_poll_get(impl_->poll)->timeout_free(impl_->retry);
  av().threaded_poll_free(impl_->poll);
}

}  // namespace simpleclaw::discovery
