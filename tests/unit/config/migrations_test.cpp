// Config versions (config/migrations.h): an older file is read with its renamed keys
// migrated in memory, doctor --fix rewrites its text in place, a newer one is refused.
#include "config/migrations.h"

#include <gtest/gtest.h>

#include "config/config.h"

namespace simpleclaw::config {
namespace {

const char* kVersion1 =
    "# my gateway\n"
    "# (hand-written)\n"
    "\n"
    "cron:\n"
    "  default_timeout_seconds: 30   # half a minute\n"
    "hooks:\n"
    "  enabled: true\n"
    "  secret: a-long-enough-hook-secret-0123456789\n"
    "  mappings:\n"
    "    alerts:\n"
    "      message: \"alert {{body.text}}\"\n"
    "      timeout_seconds: 5\n";

TEST(ConfigMigrations, AVersion1FileIsReadWithItsRenamedKeysInMemory) {
  Parsed p = parse(kVersion1);
  ASSERT_TRUE(p.ok()) << (p.issues.empty() ? "" : p.issues[0].to_string());
  EXPECT_EQ(p.file_version, 1);
  EXPECT_EQ(p.config.cron.default_timeout_ms, 30000);
  ASSERT_EQ(p.config.hooks.mappings.size(), 1u);
  EXPECT_EQ(p.config.hooks.mappings[0].name, "alerts");
  EXPECT_EQ(p.config.hooks.mappings[0].timeout_ms, 5000);
  ASSERT_EQ(p.migrated.size(), 2u);
  EXPECT_EQ(p.migrated[0].from_path, "cron.default_timeout_seconds");
  EXPECT_EQ(p.migrated[0].to_path, "cron.default_timeout_ms");
  EXPECT_NE(p.migrated[0].message.find("30 is now cron.default_timeout_ms: 30000"),
            std::string::npos)
      << p.migrated[0].message;
  EXPECT_EQ(p.migrated[1].from_path, "hooks.mappings.alerts.timeout_seconds");
  std::string w = migration_warning(p.migrated, p.file_version, "/x/config.yaml");
  EXPECT_NE(w.find("version 1"), std::string::npos) << w;
  EXPECT_NE(w.find("simpleclaw doctor --fix"), std::string::npos) << w;
}

TEST(ConfigMigrations, OldNamesAreUnknownInACurrentFileAndTheNewNameWinsWhenBothAreSet) {
  Parsed current = parse("version: 2\ncron:\n  default_timeout_seconds: 30\n");
  ASSERT_FALSE(current.ok());
  EXPECT_EQ(current.issues[0].path, "cron.default_timeout_seconds");
  Parsed both = parse("cron:\n  default_timeout_seconds: 30\n  default_timeout_ms: 45000\n");
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both.config.cron.default_timeout_ms, 45000);
  ASSERT_EQ(both.migrated.size(), 1u);
  EXPECT_NE(both.migrated[0].message.find("both set"), std::string::npos);
}

TEST(ConfigMigrations, ANewerVersionIsRefusedNamingBothVersions) {
  Parsed p = parse("version: 7\nlogging: {level: info}\n");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.issues[0].path, "version");
  EXPECT_EQ(p.issues[0].line, 1);
  EXPECT_NE(p.issues[0].message.find("version 7"), std::string::npos) << p.issues[0].message;
  EXPECT_NE(p.issues[0].message.find("up to 2"), std::string::npos) << p.issues[0].message;
  EXPECT_FALSE(parse("version: two\n").ok());
}

TEST(ConfigMigrations, FixRewritesTheTextInPlaceKeepingCommentsAndIsIdempotent) {
  std::string out = migrate_text(kVersion1);
  EXPECT_EQ(out,
            "# my gateway\n"
            "# (hand-written)\n"
            "\n"
            "version: 2\n"
            "cron:\n"
            "  default_timeout_ms: 30000   # half a minute\n"
            "hooks:\n"
            "  enabled: true\n"
            "  secret: a-long-enough-hook-secret-0123456789\n"
            "  mappings:\n"
            "    alerts:\n"
            "      message: \"alert {{body.text}}\"\n"
            "      timeout_ms: 5000\n");
  Parsed p = parse(out);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p.migrated.empty());
  EXPECT_EQ(p.file_version, 2);
  EXPECT_EQ(p.config.cron.default_timeout_ms, 30000);
  EXPECT_EQ(migrate_text(out), out);
}

TEST(ConfigMigrations, AFlowStyleDocumentIsReEmittedWhole) {
  std::string out = migrate_text("{cron: {default_timeout_seconds: 2}}\n");
  Parsed p = parse(out);
  ASSERT_TRUE(p.ok()) << out;
  EXPECT_TRUE(p.migrated.empty()) << out;
  EXPECT_EQ(p.config.cron.default_timeout_ms, 2000);
  EXPECT_EQ(out.rfind("version: 2\n", 0), 0u) << out;
}

}  // namespace
}  // namespace simpleclaw::config
