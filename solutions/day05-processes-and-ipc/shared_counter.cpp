#include "shared_counter.hpp"

#include <sys/mman.h>

#include <atomic>
#include <cerrno>
#include <new>
#include <system_error>

namespace cc {

// A lock-free atomic is an instruction on the memory itself (lock xadd), so it works for every
// process that maps the memory. A std::mutex does not: it sleeps and wakes through the kernel
// with a *private* futex, which only wakes threads of the same process.
struct SharedCounter::Shared {
    std::atomic<long> value{0};
};
static_assert(std::atomic<long>::is_always_lock_free, "a counter shared by processes must not hide a lock");

SharedCounter::SharedCounter() {
    // MAP_SHARED: after fork() parent and child see the same physical page. MAP_PRIVATE (or any
    // ordinary memory: the stack, new) would be copied on the first write, and each process
    // would count on its own copy.
    void* memory = ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) {
        throw std::system_error(errno, std::generic_category(), "mmap");
    }
    m_shared = new (memory) Shared;
}

SharedCounter::~SharedCounter() {
    m_shared->~Shared();
    ::munmap(m_shared, sizeof(Shared));
}

void SharedCounter::add(long delta) { m_shared->value.fetch_add(delta); }

long SharedCounter::value() const { return m_shared->value.load(); }

}  // namespace cc
