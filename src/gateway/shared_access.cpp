#include "gateway/shared_access.h"

#include "base/json_fields.h"
#include "gateway/protocol/errors.h"
#include "sessions/keys.h"

namespace simpleclaw::gateway {

Result<Json> SharedAccess::params(const Client& c, const MethodSpec& spec,
                                  const Json& params) const {
  const User* user = config_.users().find(c.user);
  if (!user || spec.shared == SharedRule::kAdminOnly)
    return protocol::missing_scope(protocol::Scope::kAdmin);
  Json out = params.is_object() ? params : Json::object();
  const std::string agent = spec.agent_field.empty()
                                ? std::string()
                                : json_str(out, std::string(spec.agent_field).c_str());
  if (!spec.key_field.empty()) {
    auto it = out.find(std::string(spec.key_field));
    if (it == out.end() || !it->is_string()) return out;  // the handler reports it
    auto key = agents_.parse_key(it->get_ref<const std::string&>(), agent);
    if (!key.ok()) return key.error();
    if (!user->may_use_agent(key->agent_id)) return agent_not_granted(user->name, key->agent_id);
    auto mine = sessions::in_user_namespace(*key, user->name);
    if (!mine.ok()) return mine.error();
    *it = mine->key;
    return out;
  }
  if (!spec.agent_field.empty() && !user->may_use_agent(agent))
    return agent_not_granted(user->name, agent);
  return out;
}

}  // namespace simpleclaw::gateway
