// Task 2: map a function over a vector on a thread pool (Python's Executor.map).
#pragma once

#include <cstddef>
#include <exception>
#include <future>
#include <type_traits>
#include <vector>

#include "thread_pool.hpp"

namespace cc {

// Returns {f(in[0]), f(in[1]), ...}, in the order of `in`, with the calls running on the pool's
// workers (as many at the same time as there are workers). f is called from several threads at
// once. If calls throw, parallel_map rethrows the exception of the one with the lowest index, and
// it returns or throws only after every call it started has finished. If the pool is shut down,
// std::runtime_error (from submit).
template <class F, class T>
auto parallel_map(ThreadPool& pool, F f, const std::vector<T>& in) -> std::vector<std::invoke_result_t<F, const T&>> {
    using R = std::invoke_result_t<F, const T&>;
    std::vector<std::future<R>> futures;
    futures.reserve(in.size());
    // The tasks hold references to f and to the elements of `in`: both must outlive every task, so
    // no path out of this function may leave a task running (see the waits below).
    const auto wait_for_all = [&futures] {
        for (auto& future : futures) {
            future.wait();
        }
    };
    try {
        for (const T& x : in) {
            futures.push_back(pool.submit([&f, &x] { return f(x); }));
        }
    } catch (...) {
        wait_for_all();  // submit threw part-way (a shut-down pool): the tasks already queued still run
        throw;
    }
    // Collecting the futures in input order gives input order, however the calls finished.
    std::vector<R> out;
    out.reserve(in.size());
    std::exception_ptr first_error;
    for (auto& future : futures) {
        if (first_error) {
            future.wait();  // an earlier call failed: only wait, keep the lowest index's exception
            continue;
        }
        try {
            out.push_back(future.get());
        } catch (...) {
            first_error = std::current_exception();
        }
    }
    if (first_error) {
        std::rethrow_exception(first_error);
    }
    return out;
}

}  // namespace cc
