#include <gtest/gtest.h>

#include "plugins/registry.h"

namespace simpleclaw::plugins {

TEST(Registry, BuiltinListHasWebchatAndNoDuplicates) {
  const Registry& r = builtin_registry();
  ASSERT_NE(r.channel("webchat"), nullptr);
  EXPECT_EQ(r.channel("nope"), nullptr);
  Registry copy;
  // Adding every built-in again to a fresh registry must not throw (unique names).
  for (const auto& c : r.channels()) EXPECT_NO_THROW(copy.add_channel(c));
  EXPECT_THROW(copy.add_channel(r.channels().front()), std::logic_error);
}

}  // namespace simpleclaw::plugins
