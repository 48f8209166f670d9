// The MPI back end of Executor (executor.h): rank 0 hands out job indices, the other ranks run
// them. Every rank runs the same command on the same state; after each map rank 0 broadcasts all
// results in job order, so every rank goes on with identical state and the outputs (written by
// rank 0 only) are those of a single process.
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <stdexcept>

#include <fmt/format.h>

#include "sim/exec/executor.h"
#include "sim/exec/rank.h"
#include "sim/util/error.h"

#ifdef NESIM_WITH_MPI
#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1  // the C API only: no libmpi_cxx
#endif
#ifndef MPICH_SKIP_MPICXX
#define MPICH_SKIP_MPICXX 1
#endif
#include <mpi.h>

#include <time.h>

#include <chrono>
#include <cstdint>
#endif

namespace nesim::exec {

#ifndef NESIM_WITH_MPI

namespace detail {
bool mpi_running() { return false; }
void mpi_abort(int) {}
}  // namespace detail

std::shared_ptr<const Executor> make_mpi_executor(std::function<std::string(size_t)>) { return nullptr; }

#else

namespace {

constexpr int kTagWork = 11;   // rank 0 -> worker: [begin, end) of job indices; begin == end: no more
constexpr int kTagReply = 12;  // worker -> rank 0: its last batch's results, and a request for more
constexpr uint32_t kOk = 0, kInputError = 2, kInternalError = 3;  // also the exit statuses

struct World {
  int rank = 0, size = 1;
  std::vector<std::string> hosts;  // by rank (rank 0 knows all; the others their own)
};

void finalize_at_exit() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

// An MPI call that failed: after a rank died Open MPI usually ends the job itself (mpirun names
// the rank, its pid and its node); when it does not, say what failed and end it.
void check(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int len = 0;
  MPI_Error_string(rc, text, &len);
  std::cerr << fmt::format("nesim: error: MPI: {} failed on rank {} (host {}): {}; a rank may have died\n", what,
                           launch_rank(), host_name(), std::string(text, static_cast<size_t>(len)))
            << std::flush;
  MPI_Abort(MPI_COMM_WORLD, 3);
  std::_Exit(3);
}

// MPI starts at the first collective step, not in main: `nesim` may still exec `nesim-torch`.
World& world() {
  static World w = [] {
    World w;
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
      int provided = 0;
      if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        std::cerr << "nesim: error: MPI_Init failed\n";
        std::_Exit(3);
      }
      std::atexit(finalize_at_exit);
    }
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &w.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &w.size);
    char name[MPI_MAX_PROCESSOR_NAME] = {};
    int len = 0;
    MPI_Get_processor_name(name, &len);
    std::vector<char> all(static_cast<size_t>(w.size) * MPI_MAX_PROCESSOR_NAME);
    check(MPI_Gather(name, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, all.data(), MPI_MAX_PROCESSOR_NAME, MPI_CHAR, 0,
                     MPI_COMM_WORLD),
          "gathering host names");
    w.hosts.resize(static_cast<size_t>(w.size));
    for (int r = 0; r < w.size; ++r)
      w.hosts[static_cast<size_t>(r)] =
          w.rank == 0 ? std::string(all.data() + static_cast<size_t>(r) * MPI_MAX_PROCESSOR_NAME) : std::string(name);
    return w;
  }();
  return w;
}

// Waits for a message like MPI_Probe, but sleeps between polls once nothing came for a while:
// Open MPI's blocking calls spin, and a spinning manager takes a core from the workers of an
// oversubscribed node (ranks > cores).
void probe_politely(int source, int tag, MPI_Status* st, const char* what) {
  int flag = 0;
  for (int polls = 0;; ++polls) {
    check(MPI_Iprobe(source, tag, MPI_COMM_WORLD, &flag, st), what);
    if (flag) return;
    if (polls > 200) {
      struct timespec pause = {0, polls > 2000 ? 200'000 : 20'000};
      nanosleep(&pause, nullptr);
    }
  }
}

// Appends/reads plain values to/from a byte buffer.
template <typename T>
void put(std::string& b, const T& v) {
  b.append(reinterpret_cast<const char*>(&v), sizeof v);
}
template <typename T>
T take(const std::string& b, size_t& pos) {
  T v{};
  if (pos + sizeof v > b.size()) throw std::runtime_error("MPI: malformed message");
  std::memcpy(&v, b.data() + pos, sizeof v);
  pos += sizeof v;
  return v;
}

// Rank 0's `bytes` on every rank; large buffers go in pieces (MPI counts are int).
void bcast_bytes(std::string& bytes) {
  uint64_t size = bytes.size();
  check(MPI_Bcast(&size, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD), "broadcasting results");
  bytes.resize(size);
  constexpr uint64_t kPiece = 1u << 30;
  for (uint64_t at = 0; at < size; at += kPiece)
    check(MPI_Bcast(bytes.data() + at, static_cast<int>(std::min(kPiece, size - at)), MPI_BYTE, 0, MPI_COMM_WORLD),
          "broadcasting results");
}

// The end of a collective step: rank 0's verdict on every rank. Rank 0 throws `error` itself; the
// others throw Stopped, silently (rank 0 prints the one message).
void share_verdict(uint32_t status, const std::string& message, std::exception_ptr error) {
  std::string verdict;
  if (world().rank == 0) {
    put(verdict, status);
    verdict += message;
  }
  bcast_bytes(verdict);
  size_t pos = 0;
  const uint32_t shared = take<uint32_t>(verdict, pos);
  if (shared == kOk) return;
  note_failure_shared();
  if (world().rank != 0) throw Stopped(static_cast<int>(shared));
  if (error) std::rethrow_exception(error);
  if (shared == kInputError) throw InputError(verdict.substr(pos));
  throw std::runtime_error(verdict.substr(pos));
}

class MpiExecutor : public Executor {
 public:
  explicit MpiExecutor(std::function<std::string(size_t)> describe) : describe_(std::move(describe)) {}

  int workers() const override { return std::max(1, world().size - 1); }
  bool distributed() const override { return true; }

  std::string from_coordinator(const std::function<std::string()>& produce) const override {
    std::string bytes;
    uint32_t status = kOk;
    std::string message;
    std::exception_ptr error;
    if (world().rank == 0) {
      try {
        bytes = produce();
      } catch (const InputError& e) {
        status = kInputError, message = e.what(), error = std::current_exception();
      } catch (const std::exception& e) {
        status = kInternalError, message = e.what(), error = std::current_exception();
      }
    }
    share_verdict(status, message, error);
    bcast_bytes(bytes);
    return bytes;
  }

  std::vector<std::string> map(size_t count, const Job& job, const OnDone& on_done) const override {
    World& w = world();
    if (w.rank == 0) return manage(count, on_done);
    work(job);
    share_verdict(kOk, {}, nullptr);
    return receive_results(count);
  }

 private:
  // Rank 0: hands out batches of job indices on request. A batch grows while it takes a worker
  // under 2 ms and shrinks above 20 ms, so that short jobs travel many to a message and long ones
  // balance; no batch is more than a 2*workers-th of what is left.
  std::vector<std::string> manage(size_t count, const OnDone& on_done) const {
    World& w = world();
    const int workers = w.size - 1;
    std::vector<std::string> results(count);
    std::vector<uint64_t> batch(static_cast<size_t>(w.size), 1);
    size_t next = 0, done = 0;
    int active = workers;
    uint32_t status = kOk;
    std::string message;
    std::exception_ptr error;
    std::string buffer;
    while (active > 0) {
      MPI_Status st;
      probe_politely(MPI_ANY_SOURCE, kTagReply, &st, "waiting for a worker");
      int size = 0;
      MPI_Get_count(&st, MPI_BYTE, &size);
      buffer.resize(static_cast<size_t>(size));
      const int from = st.MPI_SOURCE;
      check(MPI_Recv(buffer.data(), size, MPI_BYTE, from, kTagReply, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
            "receiving results");
      const std::string where = fmt::format("rank {} on host {}", from, w.hosts[static_cast<size_t>(from)]);
      size_t pos = 0;
      const uint32_t n = take<uint32_t>(buffer, pos);
      const double batch_s = take<double>(buffer, pos);
      for (uint32_t k = 0; k < n; ++k) {
        const uint64_t index = take<uint64_t>(buffer, pos);
        const uint32_t kind = take<uint32_t>(buffer, pos);
        const uint64_t len = take<uint64_t>(buffer, pos);
        if (index >= count || pos + len > buffer.size()) throw std::runtime_error("MPI: malformed worker reply");
        std::string bytes = buffer.substr(pos, len);
        pos += len;
        if (kind != kOk) {
          if (status == kOk) status = kind, message = fmt::format("{}: {}: {}", where, describe_(index), bytes);
          continue;
        }
        results[index] = std::move(bytes);
        ++done;
        if (!on_done) continue;
        // After a failure the jobs still finishing are passed on too (a search journals them), but
        // the first failure is the one reported.
        try {
          on_done({index, results[index], done, where});
        } catch (const InputError& e) {
          if (status == kOk) status = kInputError, message = e.what(), error = std::current_exception();
        } catch (const std::exception& e) {
          if (status == kOk) status = kInternalError, message = e.what(), error = std::current_exception();
        }
      }
      uint64_t& b = batch[static_cast<size_t>(from)];
      if (n > 0 && batch_s < 0.002) b = std::min<uint64_t>(b * 2, 1u << 16);
      if (n > 0 && batch_s > 0.02 && b > 1) b /= 2;
      uint64_t range[2] = {next, next};
      if (status == kOk && next < count) {
        const uint64_t guided = std::max<uint64_t>(1, (count - next) / (2 * static_cast<uint64_t>(workers)));
        range[1] = next + std::min({b, guided, static_cast<uint64_t>(count - next)});
        next = range[1];
      } else {
        --active;
      }
      check(MPI_Send(range, 2, MPI_UINT64_T, from, kTagWork, MPI_COMM_WORLD), "handing out work");
    }
    if (status == kOk && done != count) status = kInternalError, message = "MPI: jobs went missing";
    share_verdict(status, message, error);
    std::string sizes(count * sizeof(uint64_t), '\0'), bytes;
    size_t total = 0;
    for (size_t i = 0; i < count; ++i) {
      const uint64_t s = results[i].size();
      std::memcpy(sizes.data() + i * sizeof s, &s, sizeof s);
      total += s;
    }
    bytes.reserve(total);
    for (const std::string& r : results) bytes += r;
    bcast_bytes(sizes);
    bcast_bytes(bytes);
    return results;
  }

  // A worker rank: asks for work (the first message is empty), runs the batch, sends it back.
  void work(const Job& job) const {
    std::string reply;
    put(reply, uint32_t{0});
    put(reply, 0.0);
    while (true) {
      check(MPI_Send(reply.data(), static_cast<int>(reply.size()), MPI_BYTE, 0, kTagReply, MPI_COMM_WORLD),
            "sending results");
      uint64_t range[2];
      MPI_Status st;
      probe_politely(0, kTagWork, &st, "waiting for work");
      check(MPI_Recv(range, 2, MPI_UINT64_T, 0, kTagWork, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "waiting for work");
      if (range[0] == range[1]) return;
      const auto start = std::chrono::steady_clock::now();
      reply.assign(sizeof(uint32_t) + sizeof(double), '\0');
      uint32_t n = 0;
      for (uint64_t i = range[0]; i < range[1]; ++i) {
        uint32_t kind = kOk;
        std::string bytes;
        try {
          bytes = job(i);
        } catch (const InputError& e) {
          kind = kInputError, bytes = e.what();
        } catch (const std::exception& e) {
          kind = kInternalError, bytes = e.what();
        }
        put(reply, i);
        put(reply, kind);
        put(reply, static_cast<uint64_t>(bytes.size()));
        reply += bytes;
        ++n;
        if (kind != kOk) break;  // rank 0 ends the map
      }
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::memcpy(reply.data(), &n, sizeof n);
      std::memcpy(reply.data() + sizeof n, &s, sizeof s);
    }
  }

  std::vector<std::string> receive_results(size_t count) const {
    std::string sizes, bytes;
    bcast_bytes(sizes);
    bcast_bytes(bytes);
    std::vector<std::string> results(count);
    size_t at = 0;
    for (size_t i = 0; i < count; ++i) {
      uint64_t s = 0;
      std::memcpy(&s, sizes.data() + i * sizeof s, sizeof s);
      results[i] = bytes.substr(at, s);
      at += s;
    }
    return results;
  }

  std::function<std::string(size_t)> describe_;
};

}  // namespace

namespace detail {
bool mpi_running() {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  return initialized && !finalized && world().size > 1;
}
void mpi_abort(int status) { MPI_Abort(MPI_COMM_WORLD, status); }
}  // namespace detail

std::shared_ptr<const Executor> make_mpi_executor(std::function<std::string(size_t)> describe) {
  return std::make_shared<MpiExecutor>(std::move(describe));
}

#endif

}  // namespace nesim::exec
