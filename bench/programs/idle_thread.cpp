// idle_thread: preloaded into a program (LD_PRELOAD), starts one thread that sleeps for the life
// of the process. glibc and libstdc++ take cheaper paths while a process has a single thread
// (system calls without cancellation points, shared_ptr counts without atomic instructions), so
// bench/count-requests runs `--no-trace` with it too: the baseline a traced run, which has its
// batch processor's thread, is fairly compared with.
#include <chrono>
#include <thread>

namespace {
struct StartIdleThread {
  StartIdleThread() {
    std::thread([] {
      for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
    }).detach();
  }
} start_idle_thread;
}  // namespace
