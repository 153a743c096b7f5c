#include "process_pool.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

#include "frames.hpp"

namespace cc {

void prepare_forkserver() {
    // TODO(student): start the fork server (once): a socketpair, then fork a process that
    // serves requests to fork workers until the program ends.
}

ProcessPool::ProcessPool(std::size_t n, Job job, StartMethod method) {
    // TODO(student): check the arguments, ignore SIGPIPE, start n workers (each with a request
    // and a reply pipe), forked here or by the fork server.
    (void)n;
    (void)job;
    (void)method;
}

std::vector<std::vector<std::byte>> ProcessPool::map(const std::vector<std::vector<std::byte>>& inputs) {
    // TODO(student): one input per worker at a time, replies stored at their input's index; a
    // dead worker or a broken pool: std::runtime_error.
    (void)inputs;
    return {};
}

ProcessPool::~ProcessPool() {
    // TODO(student): close every request pipe, read each reply pipe to its end, reap the workers
    // this process forked.
}

}  // namespace cc
