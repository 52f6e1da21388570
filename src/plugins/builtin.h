// The registry of every compiled-in extension (channels, LLM wire formats, tools), built
// on first use from the one visible list in builtin.cpp. Read-only afterwards; any thread.
#pragma once
#include "simpleclaw/registry.h"

namespace simpleclaw::plugins {

const sdk::Registry& builtin_registry();

}  // namespace simpleclaw::plugins
