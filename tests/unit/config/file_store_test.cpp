// The config file on disk: read_state, compare-and-swap write_checked, patch_checked.
#include <dirent.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "base/crypto.h"
#include "config/config.h"
#include "unit/config/env_lookup.h"

namespace simpleclaw::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "sc_config_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/config.yaml";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void put(const std::string& text) { std::ofstream(path_, std::ios::binary) << text; }
  std::string get() const {
    std::ifstream in(path_, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::vector<std::string> dir_entries() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir_))
      out.push_back(e.path().filename());
    return out;
  }

  std::string dir_;
  std::string path_;
};

const char* kValid = "# my config\ngateway:\n  port: 1234  # comment\n";

TEST_F(ConfigFile, ReadStateOfMissingFileIsTheDefault) {
  FileState st = read_state(path_);
  EXPECT_EQ(st.path, path_);
  EXPECT_FALSE(st.exists);
  EXPECT_EQ(st.raw, default_text());
  EXPECT_EQ(st.hash, "");
  EXPECT_EQ(st.error, "");
}

TEST_F(ConfigFile, ReadStateOfExistingFile) {
  put(kValid);
  FileState st = read_state(path_);
  EXPECT_TRUE(st.exists);
  EXPECT_EQ(st.raw, kValid);
  EXPECT_EQ(st.hash, sha256_hex(kValid));
  EXPECT_EQ(st.hash.size(), 64u);
}

TEST_F(ConfigFile, ReadStateOfUnreadablePathReportsIt) {
  std::filesystem::create_directory(path_);  // a directory where the file should be
  FileState st = read_state(path_);
  EXPECT_TRUE(st.exists);
  EXPECT_FALSE(st.error.empty());
  EXPECT_EQ(st.hash, "");
}

TEST_F(ConfigFile, WriteCreatesMissingFileWithAnyBaseHashAtomicallyMode0600) {
  Result<WriteResult> w = write_checked(path_, kValid, "whatever", env_of({}));
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_EQ(get(), kValid);
  EXPECT_TRUE(w->state.exists);
  EXPECT_EQ(w->state.raw, kValid);
  EXPECT_EQ(w->state.hash, sha256_hex(kValid));
  EXPECT_EQ(w->config.gateway.port, 1234);
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(dir_entries(), std::vector<std::string>{"config.yaml"}) << "no temp file left";
}

TEST_F(ConfigFile, WriteCreatesMissingParentDirectory) {
  std::string nested = dir_ + "/sub/dir/config.yaml";
  Result<WriteResult> w = write_checked(nested, kValid, "", env_of({}));
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_TRUE(std::filesystem::exists(nested));
}

TEST_F(ConfigFile, WriteReplacesWhenBaseHashMatches) {
  put(kValid);
  ::chmod(path_.c_str(), 0644);
  struct stat before {};
  ASSERT_EQ(::stat(path_.c_str(), &before), 0);
  const std::string next = "gateway:\n  port: 4321\n";
  Result<WriteResult> w = write_checked(path_, next, sha256_hex(kValid), env_of({}));
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_EQ(get(), next);
  EXPECT_EQ(w->state.hash, sha256_hex(next));
  EXPECT_EQ(read_state(path_).hash, w->state.hash);
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_NE(st.st_ino, before.st_ino) << "replaced by rename, not rewritten in place";
  EXPECT_EQ(dir_entries(), std::vector<std::string>{"config.yaml"});
}

TEST_F(ConfigFile, WriteConflictLeavesFileByteIdentical) {
  put(kValid);
  for (const std::string& stale : {std::string(), sha256_hex("something else")}) {
    Result<WriteResult> w = write_checked(path_, "gateway:\n  port: 1\n", stale, env_of({}));
    ASSERT_FALSE(w.ok());
    EXPECT_TRUE(w.error().is_conflict());  // INVALID_REQUEST on the wire (SPEC §5)
    EXPECT_EQ(w.error().message, "config changed since last load; re-run config.get and retry");
    EXPECT_EQ(w.error().details["code"], "CONFIG_CONFLICT");
    EXPECT_EQ(get(), kValid);
  }
  EXPECT_EQ(dir_entries(), std::vector<std::string>{"config.yaml"});
}

TEST_F(ConfigFile, InvalidWriteLeavesFileByteIdentical) {
  put(kValid);
  Result<WriteResult> w =
      write_checked(path_, "gateway:\n  port: 99999\n  prot: 1\n", sha256_hex(kValid), env_of({}));
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(w.error().message, "invalid config: gateway.port (line 2): must be <= 65535");
  EXPECT_EQ(w.error().details["code"], "INVALID_CONFIG");
  ASSERT_EQ(w.error().details["issues"].size(), 2u);
  EXPECT_EQ(w.error().details["issues"][1]["path"], "gateway.prot");
  EXPECT_EQ(w.error().details["issues"][1]["line"], 3);
  EXPECT_EQ(get(), kValid);
  EXPECT_EQ(dir_entries(), std::vector<std::string>{"config.yaml"});
}

TEST_F(ConfigFile, InvalidWriteOfMissingFileCreatesNothing) {
  Result<WriteResult> w = write_checked(path_, "gateway: [", "", env_of({}));
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().details["code"], "INVALID_CONFIG");
  EXPECT_TRUE(dir_entries().empty());
}

TEST_F(ConfigFile, WriteValidatesWithTheEnvironmentButStoresTheText) {
  const std::string text = "gateway:\n  auth:\n    token: ${GW_TOK}\n";
  Result<WriteResult> bad = write_checked(path_, text, "", env_of({}));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message, HasSubstr("environment variable GW_TOK is not set"));
  Result<WriteResult> ok = write_checked(path_, text, "", env_of({{"GW_TOK", "t0k"}}));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(get(), text);
  EXPECT_EQ(ok->config.gateway.auth.token, "t0k");
}

TEST_F(ConfigFile, PatchMergesAndKeepsEnvReferencesLiteral) {
  put("gateway:\n  port: 1234\n  auth:\n    token: ${GW_TOK}\n  allowed_origins: [a, b]\n");
  Json patch = Json::parse(R"({"gateway": {"port": 4321, "bind": "all", "allowed_origins": ["c"]},
                               "logging": {"level": "debug"}})");
  Result<WriteResult> w =
      patch_checked(path_, patch, sha256_hex(get()), env_of({{"GW_TOK", "t0k"}}));
  ASSERT_TRUE(w.ok()) << w.error().message;
  std::string text = get();
  EXPECT_THAT(text, HasSubstr("${GW_TOK}"));
  EXPECT_THAT(text, Not(HasSubstr("t0k")));
  EXPECT_EQ(w->state.hash, sha256_hex(text));
  EXPECT_EQ(w->config.gateway.port, 4321);
  EXPECT_EQ(w->config.gateway.bind, "all");
  EXPECT_EQ(w->config.gateway.auth.token, "t0k");
  EXPECT_EQ(w->config.gateway.allowed_origins, std::vector<std::string>{"c"}) << "arrays replace";
  EXPECT_EQ(w->config.logging.level, "debug");
  // The file keeps its key order: gateway before logging, port before auth.
  EXPECT_LT(text.find("gateway:"), text.find("logging:"));
  EXPECT_LT(text.find("port:"), text.find("auth:"));
}

TEST_F(ConfigFile, PatchNullDeletesAndRedactedKeepsOldValue) {
  put("gateway:\n  port: 1234\n  auth:\n    token: old-secret\n");
  Json patch = {{"gateway", {{"port", nullptr}, {"auth", {{"token", std::string(kRedacted)}}}}}};
  Result<WriteResult> w = patch_checked(path_, patch, sha256_hex(get()), env_of({}));
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_EQ(w->config.gateway.port, 18789) << "deleted key falls back to the default";
  EXPECT_EQ(w->config.gateway.auth.token, "old-secret");
  EXPECT_THAT(get(), Not(HasSubstr(std::string(kRedacted))));
}

TEST_F(ConfigFile, PatchRedactedWithoutOldValueIsRejected) {
  put(kValid);
  Json patch = {{"gateway", {{"auth", {{"password", std::string(kRedacted)}}}}}};
  Result<WriteResult> w = patch_checked(path_, patch, sha256_hex(kValid), env_of({}));
  ASSERT_FALSE(w.ok());
  EXPECT_THAT(w.error().message, HasSubstr("gateway.auth.password"));
  EXPECT_EQ(get(), kValid);
}

TEST_F(ConfigFile, PatchOfMissingFileStartsFromTheDefault) {
  Result<WriteResult> w = patch_checked(path_, {{"gateway", {{"port", 5555}}}}, "", env_of({}));
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_EQ(w->config.gateway.port, 5555);
  EXPECT_EQ(w->config.gateway.auth.mode, "token");
  EXPECT_EQ(w->config.doc["logging"]["level"], "info") << "default document kept";
}

TEST_F(ConfigFile, PatchMustBeAnObject) {
  put(kValid);
  for (const Json& bad : {Json::array(), Json("x"), Json(nullptr), Json(1)}) {
    Result<WriteResult> w = patch_checked(path_, bad, sha256_hex(kValid), env_of({}));
    ASSERT_FALSE(w.ok());
    EXPECT_EQ(w.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(w.error().message, "config.patch raw must be a JSON object");
  }
  EXPECT_EQ(get(), kValid);
}

TEST_F(ConfigFile, PatchConflictAndInvalidResultLeaveFileByteIdentical) {
  put(kValid);
  Result<WriteResult> stale =
      patch_checked(path_, {{"gateway", {{"port", 1}}}}, "stale", env_of({}));
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().details["code"], "CONFIG_CONFLICT");
  Result<WriteResult> bad =
      patch_checked(path_, {{"gateway", {{"port", "x"}}}}, sha256_hex(kValid), env_of({}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().details["code"], "INVALID_CONFIG");
  EXPECT_THAT(bad.error().message, HasSubstr("gateway.port"));
  EXPECT_EQ(get(), kValid);
}

}  // namespace
}  // namespace simpleclaw::config
