// The word tables of stored and wire enums (base/enum_names.h). The enums that use them
// round-trip in their own tests (sessions types, queue modes, scopes).
#include "base/enum_names.h"

#include <gtest/gtest.h>

namespace simpleclaw {
namespace {

enum class Color { kRed, kGreen, kBlue };
constexpr EnumName<Color> kColors[] = {{Color::kRed, "red"}, {Color::kGreen, "green"}};

TEST(EnumNames, NameAndParseReadOneTable) {
  EXPECT_EQ(enum_name(kColors, Color::kGreen), "green");
  EXPECT_EQ(enum_name(kColors, Color::kBlue), "");  // not listed
  EXPECT_EQ(enum_parse(kColors, "red"), Color::kRed);
  EXPECT_EQ(enum_parse(kColors, "Red"), std::nullopt);  // exact words only
  static_assert(enum_parse(kColors, "green") == Color::kGreen);
}

}  // namespace
}  // namespace simpleclaw
