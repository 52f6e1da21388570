// Text templates with {{path}} placeholders filled from a JSON context: the message of a
// named webhook (hooks.mappings.<name>.message, docs/webhooks.md) is rendered from the
// request as {"body": <the JSON body>, "headers": {<lowercased name>: value}, "name": ...}.
//
//   "{{body.pull_request.title}} by {{ body.sender.login }}"   dotted path, spaces allowed
//   "{{body.commits.0.message}}"                               array items by index
//   "{{headers.x-github-event}}", "{{name}}"
//
// A path that leads nowhere renders empty; a string renders as it is, a number or boolean
// as JSON, null as nothing, an object or array as compact JSON. Inserted values are never
// scanned again, so a body cannot smuggle in a placeholder of its own. The output is cut
// at `max_bytes` on a UTF-8 boundary: what a sender writes into a transcript is bounded.
// Text outside placeholders is copied unchanged; an unclosed "{{" is copied as text by
// render_template and reported by check_template (which the config loader runs).
//
// Pure functions; any thread.
#pragma once
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>

#include "simpleclaw/result.h"

namespace simpleclaw {

inline constexpr std::size_t kTemplateMaxOutput = 32 * 1024;
inline constexpr std::size_t kTemplateMaxDepth = 32;  // path segments per placeholder

// OK when every placeholder is closed, has a path of at most kTemplateMaxDepth non-empty
// segments, and its first segment is one of `roots`; else an error naming the first bad
// placeholder and what would be right.
Status check_template(std::string_view tmpl, std::initializer_list<std::string_view> roots);

// The text with every placeholder replaced from `context`, at most `max_bytes` long.
std::string render_template(std::string_view tmpl, const Json& context,
                            std::size_t max_bytes = kTemplateMaxOutput);

}  // namespace simpleclaw
