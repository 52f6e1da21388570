// Workspace files on real temp directories: the name allowlist, path escapes through
// symlinked files and directories, size caps, atomic writes, metadata, and the assembled
// system prompt.
#include "agents/workspace.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace simpleclaw::agents {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

const char kAllowed[] =
    "AGENTS.md, SOUL.md, IDENTITY.md, USER.md, TOOLS.md, HEARTBEAT.md, MEMORY.md, BOOTSTRAP.md";

class WorkspaceFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "sc_workspace_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    ws_ = dir_ + "/ws";
    outside_ = dir_ + "/outside";
    fs::create_directory(outside_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void make_ws() { fs::create_directory(ws_); }
  static void put(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
  }
  static std::string get(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  static std::vector<std::string> entries(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename());
    std::sort(out.begin(), out.end());
    return out;
  }
  static mode_t mode_of(const std::string& path) {
    struct stat st;
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  }
  static ino_t inode_of(const std::string& path) {
    struct stat st;
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_ino;
  }

  std::string dir_;
  std::string ws_;
  std::string outside_;
};

TEST(WorkspaceNames, OrderAndExactCase) {
  EXPECT_THAT(workspace_file_names(),
              ElementsAre("AGENTS.md", "SOUL.md", "IDENTITY.md", "USER.md", "TOOLS.md",
                          "HEARTBEAT.md", "MEMORY.md", "BOOTSTRAP.md"));
  for (std::string_view n : workspace_file_names()) EXPECT_TRUE(is_workspace_file_name(n));
  for (const char* n : {"agents.md", "SOUL.MD", "Soul.md", "SOUL", "SOUL.md ", " SOUL.md", "",
                        "README.md", "./SOUL.md"})
    EXPECT_FALSE(is_workspace_file_name(n)) << n;
}

TEST_F(WorkspaceFiles, BadNamesAreRejectedBeforeTouchingTheDisk) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "workspace file name is empty"},
      {"..", "invalid workspace file name: .."},
      {"../SOUL.md", "invalid workspace file name: ../SOUL.md"},
      {"/etc/passwd", "invalid workspace file name: /etc/passwd"},
      {ws_ + "/SOUL.md", "invalid workspace file name"},
      {"sub/SOUL.md", "invalid workspace file name"},
      {"SOUL.md/", "invalid workspace file name"},
      {"..\\SOUL.md", "invalid workspace file name"},
      {"SOUL.md\\", "invalid workspace file name"},
      {std::string("SOUL.md\0", 8), "invalid workspace file name: SOUL.md\\x00"},
      {std::string("SOUL\0.md", 8), "invalid workspace file name: SOUL\\x00.md"},
      {"soul.md", "unknown workspace file: soul.md (allowed: "},
      {"README.md", std::string("unknown workspace file: README.md (allowed: ") + kAllowed + ")"},
  };
  for (const auto& [name, message] : cases) {
    SCOPED_TRACE(testing::PrintToString(name));
    Result<WorkspaceFile> r = read_workspace_file(ws_, name);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(r.error().message, HasSubstr(message));
    Result<WorkspaceFile> w = write_workspace_file(ws_, name, "x");
    ASSERT_FALSE(w.ok());
    EXPECT_THAT(w.error().message, HasSubstr(message));
    EXPECT_FALSE(fs::exists(ws_)) << "the workspace was created for a rejected name";
  }
  EXPECT_TRUE(entries(outside_).empty());
  EXPECT_FALSE(fs::exists(dir_ + "/SOUL.md"));
}

TEST_F(WorkspaceFiles, UnknownNameMessageListsTheAllowedNames) {
  Result<WorkspaceFile> r = read_workspace_file(ws_, "NOTES.md");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            std::string("unknown workspace file: NOTES.md (allowed: ") + kAllowed + ")");
}

TEST_F(WorkspaceFiles, MissingWorkspaceReadsAsEveryFileMissing) {
  Result<std::vector<WorkspaceFile>> list = list_workspace_files(ws_);
  ASSERT_TRUE(list.ok()) << list.error().message;
  ASSERT_EQ(list->size(), 8u);
  for (std::size_t i = 0; i < list->size(); ++i) {
    const WorkspaceFile& f = (*list)[i];
    EXPECT_EQ(f.name, workspace_file_names()[i]);
    EXPECT_EQ(f.path, ws_ + "/" + f.name);
    EXPECT_TRUE(f.missing);
    EXPECT_EQ(f.size, 0);
  }
  Result<WorkspaceFile> r = read_workspace_file(ws_, "SOUL.md");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->missing);
  EXPECT_EQ(r->content, "");
  EXPECT_EQ(r->name, "SOUL.md");
  EXPECT_EQ(r->path, ws_ + "/SOUL.md");
  EXPECT_FALSE(fs::exists(ws_)) << "reading must not create the workspace";
}

TEST_F(WorkspaceFiles, ReadOfAMissingFileInAnExistingWorkspaceIsNotAnError) {
  make_ws();
  Result<WorkspaceFile> r = read_workspace_file(ws_, "TOOLS.md");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->missing);
  EXPECT_EQ(r->size, 0);
}

TEST_F(WorkspaceFiles, WriteCreatesThePrivateWorkspaceAndFile) {
  std::string ws = ws_ + "/a/b";
  Result<WorkspaceFile> w = write_workspace_file(ws, "SOUL.md", "be kind\n");
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_FALSE(w->missing);
  EXPECT_EQ(w->name, "SOUL.md");
  EXPECT_EQ(w->path, ws + "/SOUL.md");
  EXPECT_EQ(w->size, 8);
  EXPECT_GT(w->updated_at_ms, 0);
  EXPECT_EQ(w->content, "");  // metadata only
  EXPECT_EQ(mode_of(ws_), 0700u);
  EXPECT_EQ(mode_of(ws), 0700u);
  EXPECT_EQ(mode_of(ws + "/SOUL.md"), 0600u);
  EXPECT_EQ(get(ws + "/SOUL.md"), "be kind\n");
}

TEST_F(WorkspaceFiles, AtomicWriteReplacesContentAndKeepsThePermissions) {
  ASSERT_TRUE(write_workspace_file(ws_, "MEMORY.md", "first version, longer").ok());
  std::string path = ws_ + "/MEMORY.md";
  ::chmod(path.c_str(), 0640);
  ino_t before = inode_of(path);

  Result<WorkspaceFile> w = write_workspace_file(ws_, "MEMORY.md", "second");
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_EQ(get(path), "second");
  EXPECT_EQ(w->size, 6);
  EXPECT_NE(inode_of(path), before) << "expected a new file renamed into place";
  EXPECT_EQ(mode_of(path), 0640u);
  EXPECT_THAT(entries(ws_), ElementsAre("MEMORY.md")) << "no temp files left behind";

  ASSERT_TRUE(write_workspace_file(ws_, "MEMORY.md", "").ok());
  EXPECT_EQ(get(path), "");
  Result<WorkspaceFile> r = read_workspace_file(ws_, "MEMORY.md");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->missing) << "an empty file is present, not missing";
  EXPECT_EQ(r->size, 0);
}

TEST_F(WorkspaceFiles, ListGivesOrderAndMetadata) {
  make_ws();
  put(ws_ + "/MEMORY.md", "remember");
  put(ws_ + "/AGENTS.md", "agents!");
  put(ws_ + "/notes.txt", "not listed");
  struct timespec times[2] = {{1700000000, 123456789}, {1700000000, 123456789}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (ws_ + "/AGENTS.md").c_str(), times, 0), 0);

  Result<std::vector<WorkspaceFile>> list = list_workspace_files(ws_);
  ASSERT_TRUE(list.ok()) << list.error().message;
  std::vector<std::string> names;
  for (const WorkspaceFile& f : *list) names.push_back(f.name);
  EXPECT_THAT(names, ElementsAre("AGENTS.md", "SOUL.md", "IDENTITY.md", "USER.md", "TOOLS.md",
                                 "HEARTBEAT.md", "MEMORY.md", "BOOTSTRAP.md"));
  const WorkspaceFile& agents = (*list)[0];
  EXPECT_FALSE(agents.missing);
  EXPECT_EQ(agents.size, 7);
  EXPECT_EQ(agents.updated_at_ms, 1700000000123);
  EXPECT_EQ(agents.content, "") << "list carries no content";
  EXPECT_EQ(agents.path, ws_ + "/AGENTS.md");
  EXPECT_FALSE((*list)[6].missing);
  EXPECT_EQ((*list)[6].size, 8);
  for (int i : {1, 2, 3, 4, 5, 7}) EXPECT_TRUE((*list)[i].missing) << (*list)[i].name;
}

TEST_F(WorkspaceFiles, ReadReturnsContentAndMetadata) {
  make_ws();
  put(ws_ + "/USER.md", "name: Ada\n");
  struct timespec times[2] = {{1600000000, 5000000}, {1600000000, 5000000}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (ws_ + "/USER.md").c_str(), times, 0), 0);
  Result<WorkspaceFile> r = read_workspace_file(ws_, "USER.md");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->missing);
  EXPECT_EQ(r->content, "name: Ada\n");
  EXPECT_EQ(r->size, 10);
  EXPECT_EQ(r->updated_at_ms, 1600000000005);
}

TEST_F(WorkspaceFiles, RemoveDeletesOnlyTheAllowedFilesAndNeverASymlinkTarget) {
  make_ws();
  put(outside_ + "/secret", "TOP SECRET");
  ASSERT_EQ(::symlink((outside_ + "/secret").c_str(), (ws_ + "/SOUL.md").c_str()), 0);
  put(ws_ + "/AGENTS.md", "a");
  put(ws_ + "/notes.txt", "user's own");
  fs::create_directory(ws_ + "/MEMORY.md");  // a directory under an allowed name stays
  Result<std::vector<std::string>> r = remove_workspace_files(ws_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_THAT(*r, ElementsAre("AGENTS.md", "SOUL.md"));
  EXPECT_EQ(get(outside_ + "/secret"), "TOP SECRET");
  EXPECT_THAT(entries(ws_), ElementsAre("MEMORY.md", "notes.txt"));

  fs::remove(ws_ + "/notes.txt");
  fs::remove(ws_ + "/MEMORY.md");
  put(ws_ + "/USER.md", "u");
  r = remove_workspace_files(ws_);
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(*r, ElementsAre("USER.md"));
  EXPECT_FALSE(fs::exists(ws_)) << "an emptied workspace directory is removed";
  r = remove_workspace_files(ws_);
  ASSERT_TRUE(r.ok()) << "a missing workspace removes nothing";
  EXPECT_TRUE(r->empty());
}

TEST_F(WorkspaceFiles, SymlinkedFilePointingOutsideIsRefused) {
  make_ws();
  put(outside_ + "/secret", "TOP SECRET");
  ASSERT_EQ(::symlink((outside_ + "/secret").c_str(), (ws_ + "/SOUL.md").c_str()), 0);
  ASSERT_EQ(::symlink("../outside/secret", (ws_ + "/USER.md").c_str()), 0);
  put(ws_ + "/AGENTS.md", "fine");

  for (const char* name : {"SOUL.md", "USER.md"}) {
    SCOPED_TRACE(name);
    Result<WorkspaceFile> r = read_workspace_file(ws_, name);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message, std::string("workspace file escapes the workspace: ") + name);
    Result<WorkspaceFile> w = write_workspace_file(ws_, name, "overwritten");
    ASSERT_FALSE(w.ok());
    EXPECT_EQ(w.error().message, std::string("workspace file escapes the workspace: ") + name);
    EXPECT_TRUE(fs::is_symlink(ws_ + "/" + name)) << "the link itself was replaced";
  }
  EXPECT_EQ(get(outside_ + "/secret"), "TOP SECRET");
  EXPECT_THAT(entries(outside_), ElementsAre("secret"));

  // The listing stays usable: unsafe entries show as missing, no outside metadata leaks.
  Result<std::vector<WorkspaceFile>> list = list_workspace_files(ws_);
  ASSERT_TRUE(list.ok()) << list.error().message;
  EXPECT_FALSE((*list)[0].missing);
  EXPECT_TRUE((*list)[1].missing);
  EXPECT_EQ((*list)[1].size, 0);
  EXPECT_TRUE((*list)[3].missing);
}

TEST_F(WorkspaceFiles, SymlinkThroughADirectoryOutsideIsRefused) {
  make_ws();
  put(outside_ + "/tools", "outside tools");
  ASSERT_EQ(::symlink(outside_.c_str(), (ws_ + "/sub").c_str()), 0);
  ASSERT_EQ(::symlink("sub/tools", (ws_ + "/TOOLS.md").c_str()), 0);
  Result<WorkspaceFile> r = read_workspace_file(ws_, "TOOLS.md");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("escapes the workspace"));
  ASSERT_FALSE(write_workspace_file(ws_, "TOOLS.md", "x").ok());
  EXPECT_EQ(get(outside_ + "/tools"), "outside tools");
}

TEST_F(WorkspaceFiles, SymlinkToTheWorkspaceItselfIsRefused) {
  make_ws();
  ASSERT_EQ(::symlink(".", (ws_ + "/IDENTITY.md").c_str()), 0);
  Result<WorkspaceFile> r = read_workspace_file(ws_, "IDENTITY.md");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("escapes the workspace"));
}

TEST_F(WorkspaceFiles, SymlinkInsideTheWorkspaceIsFollowed) {
  make_ws();
  fs::create_directory(ws_ + "/notes");
  put(ws_ + "/notes/soul.txt", "inner soul");
  ASSERT_EQ(::symlink("notes/soul.txt", (ws_ + "/SOUL.md").c_str()), 0);
  Result<WorkspaceFile> r = read_workspace_file(ws_, "SOUL.md");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->content, "inner soul");
  EXPECT_EQ(r->path, ws_ + "/SOUL.md");

  Result<WorkspaceFile> w = write_workspace_file(ws_, "SOUL.md", "new soul");
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_TRUE(fs::is_symlink(ws_ + "/SOUL.md")) << "written through, link kept";
  EXPECT_EQ(get(ws_ + "/notes/soul.txt"), "new soul");
}

TEST_F(WorkspaceFiles, SymlinkedWorkspaceDirectoryIsFine) {
  make_ws();
  std::string link = dir_ + "/link";
  ASSERT_EQ(::symlink(ws_.c_str(), link.c_str()), 0);
  Result<WorkspaceFile> w = write_workspace_file(link, "AGENTS.md", "via link");
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_EQ(w->path, link + "/AGENTS.md") << "paths keep the configured spelling";
  EXPECT_EQ(get(ws_ + "/AGENTS.md"), "via link");
  EXPECT_TRUE(fs::is_symlink(link));

  Result<WorkspaceFile> r = read_workspace_file(link, "AGENTS.md");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->content, "via link");
  // A trailing slash on the workspace does not double up in paths.
  Result<std::vector<WorkspaceFile>> list = list_workspace_files(link + "/");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ((*list)[0].path, link + "/AGENTS.md");
  EXPECT_FALSE((*list)[0].missing);
}

TEST_F(WorkspaceFiles, BrokenSymlinkIsRefused) {
  make_ws();
  ASSERT_EQ(::symlink((outside_ + "/nowhere").c_str(), (ws_ + "/HEARTBEAT.md").c_str()), 0);
  Result<WorkspaceFile> r = read_workspace_file(ws_, "HEARTBEAT.md");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "workspace file is a broken symlink: HEARTBEAT.md");
  ASSERT_FALSE(write_workspace_file(ws_, "HEARTBEAT.md", "x").ok());
  EXPECT_FALSE(fs::exists(outside_ + "/nowhere"));
  EXPECT_TRUE(fs::is_symlink(ws_ + "/HEARTBEAT.md"));
}

TEST_F(WorkspaceFiles, DirectoryUnderAnAllowedNameIsRefused) {
  make_ws();
  fs::create_directory(ws_ + "/MEMORY.md");
  Result<WorkspaceFile> w = write_workspace_file(ws_, "MEMORY.md", "x");
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().message, "workspace file is a directory: MEMORY.md");
  EXPECT_TRUE(fs::is_directory(ws_ + "/MEMORY.md"));
  Result<WorkspaceFile> r = read_workspace_file(ws_, "MEMORY.md");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("is a directory"));
}

TEST_F(WorkspaceFiles, FifoIsRefusedWithoutBlocking) {
  make_ws();
  ASSERT_EQ(::mkfifo((ws_ + "/BOOTSTRAP.md").c_str(), 0600), 0);
  Result<WorkspaceFile> r = read_workspace_file(ws_, "BOOTSTRAP.md");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "workspace file is not a regular file: BOOTSTRAP.md");
  ASSERT_FALSE(write_workspace_file(ws_, "BOOTSTRAP.md", "x").ok());
}

TEST_F(WorkspaceFiles, OversizeWriteIsRejectedAndTheFileUntouched) {
  ASSERT_TRUE(write_workspace_file(ws_, "SOUL.md", "original").ok());
  std::string big(kMaxFileBytes + 1, 'x');
  Result<WorkspaceFile> w = write_workspace_file(ws_, "SOUL.md", big);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(w.error().message, "file too large: 2097153 bytes (max 2097152)");
  EXPECT_EQ(get(ws_ + "/SOUL.md"), "original");
  EXPECT_THAT(entries(ws_), ElementsAre("SOUL.md"));

  // Checked before the disk: a missing workspace is not created for it.
  std::string other = dir_ + "/other";
  ASSERT_FALSE(write_workspace_file(other, "SOUL.md", big).ok());
  EXPECT_FALSE(fs::exists(other));
}

TEST_F(WorkspaceFiles, WriteAtTheCapIsAccepted) {
  std::string max(kMaxFileBytes, 'y');
  Result<WorkspaceFile> w = write_workspace_file(ws_, "MEMORY.md", max);
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_EQ(w->size, static_cast<std::int64_t>(kMaxFileBytes));
  Result<WorkspaceFile> r = read_workspace_file(ws_, "MEMORY.md");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->content.size(), kMaxFileBytes);
}

TEST_F(WorkspaceFiles, OversizeFileOnDiskIsNotRead) {
  make_ws();
  std::string path = ws_ + "/MEMORY.md";
  put(path, "");
  ASSERT_EQ(::truncate(path.c_str(), kMaxFileBytes + 10), 0);
  Result<WorkspaceFile> r = read_workspace_file(ws_, "MEMORY.md");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "file too large: 2097162 bytes (max 2097152)");
  // Listing only reports it.
  Result<std::vector<WorkspaceFile>> list = list_workspace_files(ws_);
  ASSERT_TRUE(list.ok());
  EXPECT_FALSE((*list)[6].missing);
  EXPECT_EQ((*list)[6].size, static_cast<std::int64_t>(kMaxFileBytes + 10));
}

TEST_F(WorkspaceFiles, WorkspacePathErrors) {
  put(dir_ + "/plain", "a file");
  for (auto* fn :
       {+[](const std::string& ws) { return read_workspace_file(ws, "SOUL.md").ok(); },
        +[](const std::string& ws) { return write_workspace_file(ws, "SOUL.md", "x").ok(); },
        +[](const std::string& ws) { return list_workspace_files(ws).ok(); }}) {
    EXPECT_FALSE(fn(""));
    EXPECT_FALSE(fn(dir_ + "/plain"));
    EXPECT_FALSE(fn(dir_ + "/plain/ws"));
  }
  Result<WorkspaceFile> r = read_workspace_file(dir_ + "/plain", "SOUL.md");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "workspace is not a directory: " + dir_ + "/plain");
  EXPECT_EQ(get(dir_ + "/plain"), "a file");
}

class WorkspacePrompt : public WorkspaceFiles {};

TEST_F(WorkspacePrompt, HeaderOnlyWithoutFiles) {
  EXPECT_EQ(assemble_system_prompt(ws_, "Ava"),
            "You are Ava, an assistant running in simpleclaw.\n");
  make_ws();
  EXPECT_EQ(assemble_system_prompt(ws_, "Ava"),
            "You are Ava, an assistant running in simpleclaw.\n");
  EXPECT_EQ(assemble_system_prompt(ws_, ""), "You are an assistant running in simpleclaw.\n");
  EXPECT_EQ(assemble_system_prompt(ws_, "A\nB\x01"),
            "You are A B , an assistant running in simpleclaw.\n");
}

TEST_F(WorkspacePrompt, FilesInOrderSkippingMissingAndBlank) {
  make_ws();
  put(ws_ + "/MEMORY.md", "likes tea");
  put(ws_ + "/AGENTS.md", "be helpful\n");
  put(ws_ + "/SOUL.md", "");
  put(ws_ + "/USER.md", " \n\t\n");
  put(ws_ + "/IDENTITY.md", "I am Ava");
  EXPECT_EQ(assemble_system_prompt(ws_, "Ava"),
            "You are Ava, an assistant running in simpleclaw.\n"
            "\n## AGENTS.md\n\nbe helpful\n\n"
            "\n## IDENTITY.md\n\nI am Ava\n"
            "\n## MEMORY.md\n\nlikes tea\n");
}

TEST_F(WorkspacePrompt, UnsafeAndOversizeFilesAreSkipped) {
  make_ws();
  put(outside_ + "/secret", "TOP SECRET");
  ASSERT_EQ(::symlink((outside_ + "/secret").c_str(), (ws_ + "/SOUL.md").c_str()), 0);
  fs::create_directory(ws_ + "/TOOLS.md");
  put(ws_ + "/MEMORY.md", "");
  ASSERT_EQ(::truncate((ws_ + "/MEMORY.md").c_str(), kMaxFileBytes + 1), 0);
  put(ws_ + "/USER.md", "user");
  std::string p = assemble_system_prompt(ws_, "Ava");
  EXPECT_THAT(p, Not(HasSubstr("SECRET")));
  EXPECT_THAT(p, Not(HasSubstr("SOUL.md")));
  EXPECT_THAT(p, Not(HasSubstr("TOOLS.md")));
  EXPECT_THAT(p, Not(HasSubstr("MEMORY.md")));
  EXPECT_EQ(p, "You are Ava, an assistant running in simpleclaw.\n\n## USER.md\n\nuser\n");
}

TEST_F(WorkspacePrompt, CapTruncatesTheFileThatDoesNotFitAndDropsLaterOnes) {
  make_ws();
  const std::string soul = "0123456789abcdefghij0123456789";
  put(ws_ + "/AGENTS.md", "aaaa");
  put(ws_ + "/SOUL.md", soul);
  put(ws_ + "/USER.md", "later");
  const std::string header = "You are Ava, an assistant running in simpleclaw.\n";
  const std::string agents = "\n## AGENTS.md\n\naaaa\n";
  const std::string soul_head = "\n## SOUL.md\n\n";
  const std::string user = "\n## USER.md\n\nlater\n";
  const std::string marker = "\n[truncated]\n";

  // Room for 4 bytes of SOUL.md; USER.md is left out.
  std::size_t max = header.size() + agents.size() + soul_head.size() + 4 + marker.size();
  std::string p = assemble_system_prompt(ws_, "Ava", max);
  EXPECT_EQ(p, header + agents + soul_head + "0123" + marker);
  EXPECT_EQ(p.size(), max);

  // Everything fits exactly: no marker.
  std::string full = header + agents + soul_head + soul + "\n" + user;
  EXPECT_EQ(assemble_system_prompt(ws_, "Ava", full.size()), full);
  EXPECT_EQ(assemble_system_prompt(ws_, "Ava", 1 << 20), full);
  // One byte short: no room for a useful cut of USER.md, only the marker.
  EXPECT_EQ(assemble_system_prompt(ws_, "Ava", full.size() - 1),
            header + agents + soul_head + soul + "\n" + marker);

  // No room for a section: just the marker; no room for the marker either: nothing.
  EXPECT_EQ(assemble_system_prompt(ws_, "Ava", header.size() + agents.size() + marker.size()),
            header + agents + marker);
  EXPECT_EQ(assemble_system_prompt(ws_, "Ava", header.size() + agents.size() + 5), header + agents);
  // Smaller than the header: the header cut.
  EXPECT_EQ(assemble_system_prompt(ws_, "Ava", 7), "You are");
  for (std::size_t cap = 0; cap <= full.size() + 2; ++cap)
    EXPECT_LE(assemble_system_prompt(ws_, "Ava", cap).size(), cap);
}

TEST_F(WorkspacePrompt, TruncationKeepsUtf8Whole) {
  make_ws();
  std::string e10;
  for (int i = 0; i < 10; ++i) e10 += "\xc3\xa9";  // "é" x 10, 20 bytes
  put(ws_ + "/AGENTS.md", e10);
  const std::string header = "You are Ava, an assistant running in simpleclaw.\n";
  const std::string head = "\n## AGENTS.md\n\n";
  const std::string marker = "\n[truncated]\n";
  // 3 bytes of room: only one "é" fits whole.
  std::size_t max = header.size() + head.size() + 3 + marker.size();
  EXPECT_EQ(assemble_system_prompt(ws_, "Ava", max), header + head + "\xc3\xa9" + marker);
}

}  // namespace
}  // namespace simpleclaw::agents
