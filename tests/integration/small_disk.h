// SmallDisk: a tmpfs of a given size for a test's state directory, which the test can
// fill up, free again and remount read-only (the integration tests run as root). A test
// skips itself where mounting is not allowed (a container without CAP_SYS_ADMIN).
#pragma once
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "helpers.h"

namespace sctest {

class SmallDisk {
 public:
  explicit SmallDisk(const std::string& size) : path_(dir_.path() + "/disk") {
    std::filesystem::create_directories(path_);
    mounted_ = ::mount("tmpfs", path_.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& path() const { return path_; }
  // Writes a filler file until the file system says it is full.
  void fill() {
    std::FILE* f = std::fopen((path_ + "/filler").c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::string block(64 * 1024, 'x');
    while (std::fwrite(block.data(), 1, block.size(), f) == block.size() && std::fflush(f) == 0) {
    }
    std::fclose(f);
  }
  void free_space() { std::filesystem::remove(path_ + "/filler"); }
  bool remount(bool read_only) {
    return ::mount("tmpfs", path_.c_str(), "tmpfs", MS_REMOUNT | (read_only ? MS_RDONLY : 0),
                   nullptr) == 0;
  }

 private:
  TempDir dir_;
  std::string path_;
  bool mounted_ = false;
};

}  // namespace sctest
