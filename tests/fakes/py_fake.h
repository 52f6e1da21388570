// PyFake: runs a fake platform server written in Python (tests/fakes/*.py) as a child
// process, reads the {"port": N} line it prints once listening, and talks to its
// control API with small blocking HTTP/1.1 requests. For tests only: plain POSIX, no
// event loop, every call bounded by a timeout. The child is killed on destruction.
#pragma once
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace fakes {

// One blocking HTTP/1.1 request to 127.0.0.1:port with a JSON body; the JSON body of the
// answer (null on failure). 5 s receive timeout.
inline nlohmann::json http_json(int port, const std::string& method, const std::string& path,
                                const std::string& body) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return nullptr;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return nullptr;
  }
  std::string req = method + " " + path +
                    " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                    "Content-Type: application/json\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body;
  ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  std::string resp;
  char buf[4096];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    resp.append(buf, n);
  }
  close(fd);
  auto p = resp.find("\r\n\r\n");
  if (p == std::string::npos) return nullptr;
  return nlohmann::json::parse(resp.substr(p + 4), nullptr, false);
}

class PyFake {
 public:
  // script: a path; args: its arguments. Uses /usr/bin/python3 when present (Debian's,
  // with python3-websockets), else python3 from PATH.
  PyFake(const std::string& script, std::vector<std::string> args = {}) {
    // stdin stays open until kill(): fakes that exit when their stdin closes do so
    // even when this process dies without running destructors.
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      setpgid(0, 0);
      dup2(in[0], 0);
      dup2(out[1], 1);
      close(in[1]);
      close(out[0]);
      close(out[1]);
      std::string py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
      std::vector<std::string> argv{py, "-u", script};
      argv.insert(argv.end(), args.begin(), args.end());
      std::vector<char*> av;
      for (auto& a : argv) av.push_back(a.data());
      av.push_back(nullptr);
      execvp(av[0], av.data());
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    in_fd_ = in[1];
    std::string line;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{out[0], POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char buf[256];
      ssize_t n = read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, n);
    }
    out_fd_ = out[0];
    auto j = nlohmann::json::parse(line.substr(0, line.find('\n')), nullptr, false);
    if (j.is_object()) {
      info_ = j;
      port_ = j.value("port", 0);
    }
  }
  ~PyFake() { kill(); }
  PyFake(const PyFake&) = delete;
  PyFake& operator=(const PyFake&) = delete;

  void kill() {
    if (pid_ > 0) {
      ::kill(-pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    if (out_fd_ >= 0) close(out_fd_), out_fd_ = -1;
    if (in_fd_ >= 0) close(in_fd_), in_fd_ = -1;
  }
  bool ok() const { return info_.is_object(); }
  int port() const { return port_; }
  // A named port from the first line, for fakes with several ({"rest": N, "gateway": M}).
  int port(const char* key) const {
    return info_.is_object() && info_.contains(key) && info_[key].is_number_integer()
               ? info_[key].get<int>()
               : 0;
  }
  const nlohmann::json& info() const { return info_; }  // the whole first line
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  nlohmann::json get(const std::string& path) { return request("GET", path, ""); }
  nlohmann::json post(const std::string& path, const nlohmann::json& body) {
    return request("POST", path, body.dump());
  }

  // One request to 127.0.0.1:port (default: port()); the JSON body of the answer.
  nlohmann::json request(const std::string& method, const std::string& path,
                         const std::string& body, int port = 0) {
    return http_json(port ? port : port_, method, path, body);
  }

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int in_fd_ = -1;
  int port_ = 0;
  nlohmann::json info_;
};

}  // namespace fakes
