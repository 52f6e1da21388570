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
  auto it = spec.key_field.empty() ? out.end() : out.find(std::string(spec.key_field));
  if (it != out.end() && it->is_string()) {  // else the handler reports a bad key
    auto key = agents_.parse_key(it->get_ref<const std::string&>(), agent);
    if (!key.ok()) return key.error();
    if (!user->may_use_agent(key->agent_id)) return agent_not_granted(user->name, key->agent_id);
    auto mine = sessions::in_user_namespace(*key, user->name);
    if (!mine.ok()) return mine.error();
    *it = mine->key;
    return out;
  }
  // No key (or none given): the agent the call names, or the default agent it then uses.
  const std::string target = agent.empty() ? agents_.default_id() : agent;
  if (!spec.agent_field.empty() && !user->may_use_agent(target))
    return agent_not_granted(user->name, target);
  return out;
}

}  // namespace simpleclaw::gateway
