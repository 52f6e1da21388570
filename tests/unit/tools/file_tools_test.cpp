// The file tools against a real temp workspace: they work inside it and never leave it
// (.., absolute paths outside, symlinks out, NUL bytes), and bad arguments are errors.
#include "tools/file_tools.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace simpleclaw::tools {
namespace {

namespace fs = std::filesystem;

struct Ws {
  std::string root, outside;
  Ws() {
    char tmpl[] = "/tmp/sc-ft-XXXXXX";
    std::string base = ::mkdtemp(tmpl);
    root = base + "/ws";
    outside = base + "/outside";
    fs::create_directories(root);
    fs::create_directories(outside);
    put(outside + "/secret.txt", "TOP SECRET");
  }
  ~Ws() { fs::remove_all(fs::path(root).parent_path()); }
  static void put(const std::string& p, const std::string& s) { std::ofstream(p) << s; }
  static std::string get(const std::string& p) {
    std::ifstream f(p);
    return std::string(std::istreambuf_iterator<char>(f), {});
  }
};

TEST(FileTools, WriteReadEditLsInsideTheWorkspace) {
  Ws w;
  auto r = write_tool(w.root, {{"path", "notes/a.txt"}, {"content", "hello world"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(Ws::get(w.root + "/notes/a.txt"), "hello world");
  auto rd = read_tool(w.root, {{"path", "notes/a.txt"}});
  ASSERT_TRUE(rd.ok());
  EXPECT_EQ(*rd, "hello world");
  ASSERT_TRUE(
      edit_tool(w.root, {{"path", "notes/a.txt"}, {"old", "world"}, {"new", "there"}}).ok());
  EXPECT_EQ(Ws::get(w.root + "/notes/a.txt"), "hello there");
  // Absolute paths inside the workspace are fine.
  EXPECT_TRUE(read_tool(w.root, {{"path", w.root + "/notes/a.txt"}}).ok());
  auto ls = ls_tool(w.root, Json::object());
  ASSERT_TRUE(ls.ok());
  EXPECT_EQ(*ls, "notes/\n");
  auto ls2 = ls_tool(w.root, {{"path", "notes"}});
  ASSERT_TRUE(ls2.ok());
  EXPECT_EQ(*ls2, "a.txt (11 bytes)\n");
}

struct Escape {
  const char* name;
  Json args;
};

TEST(FileTools, NeverLeaveTheWorkspace) {
  Ws w;
  fs::create_symlink(w.outside, w.root + "/link_dir");
  fs::create_symlink(w.outside + "/secret.txt", w.root + "/link_file");
  fs::create_symlink(w.outside + "/new.txt", w.root + "/dangling");
  const std::string nul("a\0b", 3);
  for (const char* tool : {"read", "write", "edit", "ls"}) {
    for (const std::string& p :
         {std::string("../outside/secret.txt"), w.outside + "/secret.txt",
          std::string("link_dir/secret.txt"), std::string("link_file"), std::string("/etc/passwd"),
          std::string("a/../../outside/secret.txt"), nul, std::string("link_dir/new.txt"),
          std::string("dangling")}) {
      Json args{{"path", p}, {"content", "pwned"}, {"old", "TOP"}, {"new", "pwned"}};
      Result<std::string> r = std::string(tool) == "read"    ? read_tool(w.root, args)
                              : std::string(tool) == "write" ? write_tool(w.root, args)
                              : std::string(tool) == "edit"  ? edit_tool(w.root, args)
                                                             : ls_tool(w.root, args);
      EXPECT_FALSE(r.ok()) << tool << " " << p << " -> " << (r.ok() ? *r : "");
    }
  }
  EXPECT_EQ(Ws::get(w.outside + "/secret.txt"), "TOP SECRET");
  EXPECT_FALSE(fs::exists(w.outside + "/new.txt"));
}

TEST(FileTools, BadArgumentsAreClearErrors) {
  Ws w;
  auto r = read_tool(w.root, Json::object());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "missing argument 'path'");
  r = write_tool(w.root, {{"path", 5}, {"content", "x"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "argument 'path' must be a string");
  r = read_tool(w.root, Json::array());
  ASSERT_FALSE(r.ok());
  r = read_tool(w.root, {{"path", "missing.txt"}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("does not exist"), std::string::npos);
  Ws::put(w.root + "/twice.txt", "x x");
  r = edit_tool(w.root, {{"path", "twice.txt"}, {"old", "x"}, {"new", "y"}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("more than once"), std::string::npos);
  EXPECT_EQ(Ws::get(w.root + "/twice.txt"), "x x");
  Ws::put(w.root + "/bin.dat", std::string("\xff\xfe\x00\x01", 4));
  r = read_tool(w.root, {{"path", "bin.dat"}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not a text file"), std::string::npos);
}

TEST(FileTools, LargeFilesAreCutWithANote) {
  Ws w;
  Ws::put(w.root + "/big.txt", std::string(kMaxReadBytes + 100, 'a'));
  auto r = read_tool(w.root, {{"path", "big.txt"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->substr(0, kMaxReadBytes), std::string(kMaxReadBytes, 'a'));
  EXPECT_NE(r->find("truncated"), std::string::npos);
  auto wr =
      write_tool(w.root, {{"path", "huge.txt"}, {"content", std::string(kMaxWriteBytes + 1, 'b')}});
  EXPECT_FALSE(wr.ok());
  EXPECT_FALSE(fs::exists(w.root + "/huge.txt"));
}

}  // namespace
}  // namespace simpleclaw::tools
