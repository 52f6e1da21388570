#include "gateway/protocol/codec.h"

#include <cstring>

namespace simpleclaw::protocol {
namespace {

// --- MessagePack pieces (spec: https://github.com/msgpack/msgpack/blob/master/spec.md)
void mp_map_header(std::string& out, std::size_t n) {
  if (n < 16) {
    out += static_cast<char>(0x80 | n);
  } else {
    out += static_cast<char>(0xde);
    out += static_cast<char>((n >> 8) & 0xff);
    out += static_cast<char>(n & 0xff);
  }
}

void mp_str(std::string& out, std::string_view s) {
  std::size_t n = s.size();
  if (n < 32) {
    out += static_cast<char>(0xa0 | n);
  } else if (n < 256) {
    out += static_cast<char>(0xd9);
    out += static_cast<char>(n);
  } else if (n < 65536) {
    out += static_cast<char>(0xda);
    out += static_cast<char>((n >> 8) & 0xff);
    out += static_cast<char>(n & 0xff);
  } else {
    out += static_cast<char>(0xdb);
    for (int sh = 24; sh >= 0; sh -= 8) out += static_cast<char>((n >> sh) & 0xff);
  }
  out.append(s);
}

void mp_uint(std::string& out, std::uint64_t v) {
  if (v < 128) {
    out += static_cast<char>(v);
  } else if (v <= 0xffffffffu) {
    out += static_cast<char>(0xce);
    for (int sh = 24; sh >= 0; sh -= 8) out += static_cast<char>((v >> sh) & 0xff);
  } else {
    out += static_cast<char>(0xcf);
    for (int sh = 56; sh >= 0; sh -= 8) out += static_cast<char>((v >> sh) & 0xff);
  }
}

void mp_json(std::string& out, const Json& j) {
  std::vector<std::uint8_t> v = Json::to_msgpack(j);
  out.append(reinterpret_cast<const char*>(v.data()), v.size());
}

std::string dump(const Json& j) {
  // Replace invalid UTF-8 instead of throwing: text from LLMs and channels is untrusted.
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string res_ok_prefix_json(const Json& id) {
  std::string s = "{\"type\":\"res\",\"id\":";
  s += dump(id);
  s += ",\"ok\":true,\"payload\":";
  return s;
}

void res_ok_prefix_mp(std::string& out, const Json& id) {
  mp_map_header(out, 4);
  mp_str(out, "type");
  mp_str(out, "res");
  mp_str(out, "id");
  mp_json(out, id);
  mp_str(out, "ok");
  out += static_cast<char>(0xc3);
  mp_str(out, "payload");
}

}  // namespace

const std::string& SharedPayload::encoded(Encoding enc) const {
  if (enc == Encoding::kJson) {
    if (json_.empty()) json_ = dump(value_);
    return json_;
  }
  if (msgpack_.empty()) mp_json(msgpack_, value_);
  return msgpack_;
}

Result<Json> decode(std::string_view bytes, bool binary, Encoding socket_encoding) {
  if (binary && socket_encoding == Encoding::kMsgpack) {
    Json j = Json::from_msgpack(bytes.begin(), bytes.end(), true, false);
    if (j.is_discarded()) return Error::invalid("invalid frame: not valid MessagePack");
    return j;
  }
  Json j = Json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (j.is_discarded()) return Error::invalid("invalid frame: not valid JSON");
  return j;
}

std::string encode(const Json& frame, Encoding enc) {
  if (enc == Encoding::kJson) return dump(frame);
  std::string out;
  mp_json(out, frame);
  return out;
}

std::string encode_res_ok(const Json& id, const SharedPayload& payload, Encoding enc) {
  const std::string& body = payload.encoded(enc);
  if (enc == Encoding::kJson) {
    std::string s = res_ok_prefix_json(id);
    s.reserve(s.size() + body.size() + 1);
    s += body;
    s += '}';
    return s;
  }
  std::string out;
  out.reserve(32 + body.size());
  res_ok_prefix_mp(out, id);
  out += body;
  return out;
}

std::string encode_res_ok(const Json& id, const Json& payload, Encoding enc) {
  if (enc == Encoding::kJson) {
    std::string s = res_ok_prefix_json(id);
    s += dump(payload);
    s += '}';
    return s;
  }
  std::string out;
  res_ok_prefix_mp(out, id);
  mp_json(out, payload);
  return out;
}

std::string encode_res_error(const Json& id, const Error& error, Encoding enc) {
  Json frame{{"type", "res"}, {"id", id}, {"ok", false}, {"error", error.to_json()}};
  return encode(frame, enc);
}

std::string encode_event(std::string_view event, const SharedPayload* payload,
                         std::optional<std::uint64_t> seq, const Json* state_version,
                         Encoding enc) {
  bool has_sv = state_version && !state_version->is_null();
  if (enc == Encoding::kJson) {
    std::string s = "{\"type\":\"event\",\"event\":";
    s += dump(Json(event));
    if (payload) {
      s += ",\"payload\":";
      s += payload->encoded(enc);
    }
    if (seq) {
      s += ",\"seq\":";
      s += std::to_string(*seq);
    }
    if (has_sv) {
      s += ",\"stateVersion\":";
      s += dump(*state_version);
    }
    s += '}';
    return s;
  }
  std::string out;
  mp_map_header(out, 2 + (payload ? 1 : 0) + (seq ? 1 : 0) + (has_sv ? 1 : 0));
  mp_str(out, "type");
  mp_str(out, "event");
  mp_str(out, "event");
  mp_str(out, event);
  if (payload) {
    mp_str(out, "payload");
    out += payload->encoded(enc);
  }
  if (seq) {
    mp_str(out, "seq");
    mp_uint(out, *seq);
  }
  if (has_sv) {
    mp_str(out, "stateVersion");
    mp_json(out, *state_version);
  }
  return out;
}

}  // namespace simpleclaw::protocol
