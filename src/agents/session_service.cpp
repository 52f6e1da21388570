#include "agents/session_service.h"

#include "base/ids.h"

namespace simpleclaw::agents {

using sessions::SessionStore;

SessionService::SessionService(sessions::DbWorker& db, RunEngine& runs,
                               const AgentDirectory& agents, const providers::Catalog& catalog,
                               RunSink& sink, const Clock& clock)
    : db_(db), runs_(runs), agents_(agents), catalog_(catalog), sink_(sink), clock_(clock) {}

namespace {
// On the DB worker: the bytes of the page's images, newest first, while they fit
// `budget` decoded bytes; the rest stay references (shown as omitted).
void load_page_images(const SessionStore& s, sessions::HistoryPage& page, std::int64_t budget) {
  for (auto e = page.entries.rbegin(); e != page.entries.rend(); ++e) {
    for (sessions::ImageRef& img : e->images) {
      if (img.bytes > budget) continue;
      auto data = s.media().load_base64(img);
      if (!data.ok()) continue;  // a missing file: the part says omitted
      img.data = std::move(data).value();
      budget -= img.bytes;
    }
  }
}
}  // namespace

void SessionService::history(const sessions::SessionKey& key, int limit, int offset,
                             Done<History> done, std::int64_t image_budget) {
  db_.post(
      [k = key.key, limit, offset, image_budget](SessionStore& s) -> Result<sessions::HistoryPage> {
        auto page = s.history(k, limit, offset);
        if (page.ok() && image_budget > 0) load_page_images(s, *page, image_budget);
        return page;
      },
      alive_.guard([this, k = key.key, done = std::move(done)](Result<sessions::HistoryPage> r) {
        History h{k, std::nullopt, runs_.run_ids(k)};
        // A session nobody wrote to yet has an empty history, not an error.
        if (!r.ok() && !r.error().is_not_found()) return done(r.error());
        if (r.ok()) h.page = std::move(r).value();
        done(std::move(h));
      }));
}

void SessionService::inject(const sessions::SessionKey& key, const std::string& message,
                            const std::string& label, Done<sessions::Entry> done) {
  if (message.empty()) return done(Error::invalid("message is empty"));
  if (message.size() > kMaxMessageBytes) return done(Error::invalid("message too long"));
  db_.post([key, id = uuid_v4(), message, label, now = clock_.wall_ms()](
               SessionStore& s) { return s.inject(key, id, message, label, now); },
           alive_.guard([this, k = key.key, done = std::move(done)](Result<sessions::Entry> r) {
             if (!r.ok()) return done(r.error());
             // Shown like any finished reply, so open chats render it at once.
             RunFinished ev;
             ev.run_id = "inject-" + r->message_id;
             ev.session_key = k;
             ev.status = sessions::RunStatus::kFinal;
             ev.started = false;
             ev.reply = *r;
             ev.text = r->text;
             ev.ended_at = r->created_at;
             sink_.run_finished(ev);
             runs_.changed(k, "inject");
             done(std::move(r).value());
           }));
}

void SessionService::list(sessions::ListFilter f, Done<SessionList> done) {
  db_.post([f](SessionStore& s) { return s.list(f); },
           alive_.guard([done = std::move(done)](
                            Result<std::pair<std::vector<sessions::SessionRow>, int>> r) {
             if (!r.ok()) return done(r.error());
             done(SessionList{std::move(r->first), r->second});
           }));
}

void SessionService::reset(const sessions::SessionKey& key, Done<sessions::SessionRow> done) {
  (void)runs_.abort(key.key, "");  // a reset starts over: nothing of the old turn keeps running
  db_.post(
      [key, new_id = uuid_v4(),
       now = clock_.wall_ms()](SessionStore& s) -> Result<sessions::SessionRow> {
        auto e = s.ensure(key, now);  // resetting a fresh key is allowed
        if (!e.ok()) return e.error();
        return s.reset(key.key, new_id, now);
      },
      alive_.guard([this, k = key.key, done = std::move(done)](Result<sessions::SessionRow> r) {
        if (!r.ok()) return done(r.error());
        runs_.changed(k, "reset", *r);
        done(std::move(r).value());
      }));
}

void SessionService::remove(const sessions::SessionKey& key, Done<bool> done) {
  if (!runs_.run_ids(key.key).empty())
    return done(Error::conflict(
        "session " + key.key + " has a run in progress; chat.abort it first", "SESSION_BUSY"));
  db_.post([k = key.key](SessionStore& s) { return s.remove(k); },
           alive_.guard([this, k = key.key, done = std::move(done)](Result<bool> r) {
             if (!r.ok()) return done(r.error());
             if (*r) runs_.changed(k, "deleted");
             done(*r);
           }));
}

void SessionService::patch(const sessions::SessionKey& key, sessions::SessionPatch patch,
                           Done<sessions::SessionRow> done) {
  if (patch.model_override && !patch.model_override->empty()) {
    if (auto m = catalog_.resolve(*patch.model_override); !m.ok()) return done(m.error());
  }
  db_.post(
      [key, patch, now = clock_.wall_ms()](SessionStore& s) -> Result<sessions::SessionRow> {
        auto e = s.ensure(key, now);
        if (!e.ok()) return e.error();
        return s.patch(key.key, patch, now);
      },
      alive_.guard([this, k = key.key, done = std::move(done)](Result<sessions::SessionRow> r) {
        if (!r.ok()) return done(r.error());
        runs_.changed(k, "patch", *r);
        done(std::move(r).value());
      }));
}

void SessionService::stale(std::int64_t before, int limit, Done<std::vector<std::string>> done) {
  db_.post([before, limit](SessionStore& s) { return s.stale_sessions(before, limit); },
           alive_.guard([done = std::move(done)](Result<std::vector<std::string>> r) {
             done(std::move(r));
           }));
}

void SessionService::usage(sessions::UsageQuery q, Done<sessions::UsageData> done) {
  db_.post([q = std::move(q)](SessionStore& s) { return sessions::load_usage(s.db(), q); },
           alive_.guard(
               [done = std::move(done)](Result<sessions::UsageData> r) { done(std::move(r)); }));
}

void SessionService::rows(std::vector<std::string> keys,
                          Done<std::vector<sessions::SessionRow>> done) {
  if (keys.size() > 1000) keys.resize(1000);
  db_.post(
      [keys = std::move(keys)](SessionStore& s) -> Result<std::vector<sessions::SessionRow>> {
        std::vector<sessions::SessionRow> out;
        for (const std::string& k : keys) {
          auto row = s.get(k);
          if (!row.ok()) return row.error();
          if (*row) out.push_back(std::move(**row));
        }
        return out;
      },
      alive_.guard([done = std::move(done)](Result<std::vector<sessions::SessionRow>> r) {
        done(std::move(r));
      }));
}

void SessionService::usage_entries(std::string key, bool only_tokens, int limit,
                                   std::size_t text_max,
                                   Done<std::vector<sessions::UsageEntry>> done) {
  db_.post(
      [key = std::move(key), only_tokens, limit, text_max](SessionStore& s) {
        return sessions::session_entries(s.db(), key, only_tokens, limit, text_max);
      },
      alive_.guard([done = std::move(done)](Result<std::vector<sessions::UsageEntry>> r) {
        done(std::move(r));
      }));
}

}  // namespace simpleclaw::agents
