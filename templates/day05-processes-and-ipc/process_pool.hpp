// Task 4: a pool of worker processes (Python's multiprocessing.Pool and ProcessPoolExecutor) and
// the fork server (the forkserver start method).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "process.hpp"

namespace cc {

// How the pool makes its workers. fork: the pool's process forks them in the constructor.
// forkserver: the fork server, a process started by prepare_forkserver() while the program still
// had one thread, forks them on the pool's request.
enum class StartMethod { fork, forkserver };

// Starts the fork server. Call it first thing, before the program starts any thread; a second
// call does nothing. The server ends when the process that started it ends.
void prepare_forkserver();

class ProcessPool {
public:
    // A job is a plain function, not a std::function with captures: a worker forked by the fork
    // server is a copy of the program as it was when prepare_forkserver() ran, so the code is
    // there but nothing the caller built later (Python pickles a function by its name for the
    // same reason).
    using Job = std::vector<std::byte> (*)(std::span<const std::byte> input);

    // Starts n worker processes that run job. n == 0 or a null job: std::invalid_argument;
    // forkserver without prepare_forkserver(): std::logic_error.
    ProcessPool(std::size_t n, Job job, StartMethod method = StartMethod::fork);
    // Tells every worker to stop and waits until each has ended.
    ~ProcessPool();
    ProcessPool(const ProcessPool&) = delete;
    ProcessPool& operator=(const ProcessPool&) = delete;

    // Runs job(inputs[i]) for every i in the workers, several at once, and returns the results
    // in the order of the inputs. A job that throws: map() finishes the other inputs, then throws
    // std::runtime_error with the job's what() in its message; the pool stays usable. A worker
    // that dies: map() throws std::runtime_error instead of waiting for ever, and the pool is
    // broken (every later map() throws std::runtime_error). One thread at a time.
    std::vector<std::vector<std::byte>> map(const std::vector<std::vector<std::byte>>& inputs);

private:
    // TODO(student): the job, the start method, and per worker its pid (a Process if this
    // process forked it) and the pool's ends of its two pipes; whether the pool is broken.
};

}  // namespace cc
