#include "gateway/protocol/codec.h"

#include <cstring>

#include "base/utf8.h"
#include "gateway/protocol/errors.h"

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

const Bytes& SharedPayload::encoded_ptr(Encoding enc) const {
  if (enc == Encoding::kJson) {
    if (!json_) json_ = std::make_shared<const std::string>(dump(value_));
    return json_;
  }
  if (!msgpack_) {
    std::string out;
    mp_json(out, value_);
    msgpack_ = std::make_shared<const std::string>(std::move(out));
  }
  return msgpack_;
}

std::string OutFrame::flatten() const {
  std::string s;
  s.reserve(size());
  if (head) s += *head;
  if (body) s += *body;
  s += tail;
  return s;
}

Result<Json> decode(std::string_view bytes, bool binary, Encoding socket_encoding) {
  if (binary && socket_encoding == Encoding::kMsgpack) {
    Json j = Json::from_msgpack(bytes.begin(), bytes.end(), true, false);
    if (j.is_discarded()) return Error::invalid("invalid frame: not valid MessagePack");
    // JSON text is checked by the parser; MessagePack strings are raw bytes, and bad UTF-8
    // would make every later dump() throw.
    if (!strings_are_utf8(j)) return Error::invalid("invalid frame: strings must be UTF-8");
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

OutFrame res_ok_frame(const Json& id, const SharedPayload& payload, Encoding enc) {
  OutFrame f;
  if (enc == Encoding::kJson) {
    f.head = std::make_shared<const std::string>(res_ok_prefix_json(id));
    f.tail = "}";
  } else {
    std::string h;
    res_ok_prefix_mp(h, id);
    f.head = std::make_shared<const std::string>(std::move(h));
  }
  f.body = payload.encoded_ptr(enc);
  return f;
}

std::string encode_res_ok(const Json& id, const SharedPayload& payload, Encoding enc) {
  return res_ok_frame(id, payload, enc).flatten();
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
  Json frame{{"type", "res"}, {"id", id}, {"ok", false}, {"error", error_json(error)}};
  return encode(frame, enc);
}

Bytes encode_event_head(std::string_view event, bool has_payload, bool has_seq, bool has_sv,
                        Encoding enc) {
  std::string s;
  if (enc == Encoding::kJson) {
    s = "{\"type\":\"event\",\"event\":";
    s += dump(Json(event));
    if (has_payload) s += ",\"payload\":";
  } else {
    mp_map_header(s, 2 + (has_payload ? 1 : 0) + (has_seq ? 1 : 0) + (has_sv ? 1 : 0));
    mp_str(s, "type");
    mp_str(s, "event");
    mp_str(s, "event");
    mp_str(s, event);
    if (has_payload) mp_str(s, "payload");
  }
  return std::make_shared<const std::string>(std::move(s));
}

std::string encode_event_tail(bool has_payload, std::optional<std::uint64_t> seq,
                              const Json* state_version, Encoding enc) {
  bool has_sv = state_version && !state_version->is_null();
  std::string s;
  if (enc == Encoding::kJson) {
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
  if (seq) {
    mp_str(s, "seq");
    mp_uint(s, *seq);
  }
  if (has_sv) {
    mp_str(s, "stateVersion");
    mp_json(s, *state_version);
  }
  return s;
}

std::string encode_event(std::string_view event, const SharedPayload* payload,
                         std::optional<std::uint64_t> seq, const Json* state_version,
                         Encoding enc) {
  bool has_sv = state_version && !state_version->is_null();
  OutFrame f{encode_event_head(event, payload != nullptr, seq.has_value(), has_sv, enc),
             payload ? payload->encoded_ptr(enc) : nullptr,
             encode_event_tail(payload != nullptr, seq, state_version, enc)};
  return f.flatten();
}

}  // namespace simpleclaw::protocol
