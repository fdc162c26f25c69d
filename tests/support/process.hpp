#pragma once
// A child process for a test (nginx, a Python peer, `tracehop serve`): started with argv (and
// extra environment variables), its stdout readable line by line, terminated (SIGTERM, then
// SIGKILL) when the object goes; and run_command() for a command run to its end.

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace tracehop::test {

/// Forks and execs argv with extra "NAME=value" environment entries, its stdout (and stderr and
/// stdin, if given) going to those descriptors; the child dies with the test. Everything the child needs
/// is built before the fork: a test process has threads, and a forked child of a threaded
/// process must not allocate (another thread may have held the allocator's lock).
inline pid_t start_child(std::vector<std::string> argv, std::vector<std::string> env, int out_fd, int err_fd = -1,
                         int in_fd = -1) {
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  for (char** e = environ; *e; ++e) {  // the parent's, except what `env` replaces
    const std::string_view entry(*e);
    const auto name = entry.substr(0, entry.find('=') + 1);
    bool replaced = false;
    for (const auto& mine : env) replaced = replaced || std::string_view(mine).starts_with(name);
    if (!replaced) envp.push_back(*e);
  }
  envp.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a test that crashed
    ::dup2(out_fd, STDOUT_FILENO);
    if (err_fd >= 0) ::dup2(err_fd, STDERR_FILENO);
    if (in_fd >= 0) ::dup2(in_fd, STDIN_FILENO);
    ::execvpe(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  return pid;
}

class ChildProcess {
 public:
  /// With `capture_stderr`, what the child prints on stderr is kept for err(); else it goes to
  /// the test's.
  explicit ChildProcess(std::vector<std::string> argv, std::vector<std::string> env = {}, bool capture_stderr = false) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    if (capture_stderr && !(err_ = std::tmpfile())) throw std::runtime_error("tmpfile failed");
    pid_ = start_child(std::move(argv), std::move(env), out[1], err_ ? fileno(err_) : -1);
    ::close(out[1]);
    out_ = out[0];
  }
  ~ChildProcess() {
    stop(SIGTERM);
    if (out_ >= 0) ::close(out_);
    if (err_) std::fclose(err_);
  }

  /// Everything the child has printed on stderr so far (with capture_stderr).
  std::string err() const {
    std::string text;
    if (!err_) return text;
    char buf[4096];  // pread: the file offset is the child's too (it appends there)
    for (ssize_t n; (n = ::pread(fileno(err_), buf, sizeof buf, static_cast<off_t>(text.size()))) > 0;)
      text.append(buf, static_cast<std::size_t>(n));
    return text;
  }

  /// Sends `sig` and waits up to 2 s for the child to exit (then kills it): its exit code, or
  /// 128 + the signal that ended it.
  int stop(int sig) {
    if (pid_ <= 0) return exit_code_;
    ::kill(pid_, sig);
    int status = 0;
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return exit_code_ = decode(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return exit_code_ = decode(status);
  }

  static int decode(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  /// The next line the child prints, or nullopt after `timeout` or at its end.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
        auto line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd pfd{out_, POLLIN, 0};
      if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
      char buf[512];
      const auto n = ::read(out_, buf, sizeof buf);
      if (n <= 0) return std::nullopt;
      buffer_.append(buf, static_cast<std::size_t>(n));
    }
  }

 private:
  pid_t pid_ = -1;
  int exit_code_ = -1;
  int out_ = -1;
  std::FILE* err_ = nullptr;
  std::string buffer_;
};

struct CommandResult {
  int exit_code = -1;  // 128 + signal if a signal ended it
  std::string out, err;
};

/// Runs argv (with extra "NAME=value" environment entries, and `input` on its stdin) to its end,
/// at most `timeout` (then it is killed), and returns what it printed.
inline CommandResult run_command(std::vector<std::string> argv, std::vector<std::string> env = {},
                                 std::chrono::milliseconds timeout = std::chrono::seconds(60),
                                 std::string_view input = {}) {
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  std::FILE* in = std::tmpfile();
  if (!out || !err || !in) throw std::runtime_error("tmpfile failed");
  if (!input.empty()) std::fwrite(input.data(), 1, input.size(), in);
  std::fflush(in);
  std::rewind(in);
  const pid_t pid = start_child(std::move(argv), std::move(env), fileno(out), fileno(err), fileno(in));
  std::fclose(in);
  CommandResult result;
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (::waitpid(pid, &status, WNOHANG) != pid) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  result.exit_code = ChildProcess::decode(status);
  for (auto [file, text] : {std::pair{out, &result.out}, std::pair{err, &result.err}}) {
    std::rewind(file);
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, file)) > 0;) text->append(buf, n);
    std::fclose(file);
  }
  return result;
}

/// A loopback port that was free a moment ago.
/// The file descriptors this process has open now (a test compares two counts).
inline std::size_t open_fds() {
  std::size_t n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (::readdir(d)) ++n;
    ::closedir(d);
  }
  return n;
}

inline unsigned short free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

/// Waits until something accepts connections on 127.0.0.1:port.
inline bool wait_for_port(unsigned short port, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket s(io);
    boost::system::error_code ec;
    s.connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
    if (!ec) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace tracehop::test
