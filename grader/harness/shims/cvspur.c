/* LD_PRELOAD shim: condition-variable waits sometimes return at once without a notification.
 *
 * Why: POSIX allows spurious wakeups, so `if (!ready) cv.wait(lock)` is a bug, but real spurious
 * wakeups are rare enough that such code passes ordinary tests. Returning 0 from a quarter of the
 * waits (legal behaviour) makes that bug show up every run, while a `while` loop or a predicate
 * wait just checks again. The choice is seeded by CT_SEED; CT_CVSPUR_PERCENT overrides 25. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sched.h>
#include <time.h>

/* Decision n of the process is a hash of (seed, n): reproducible for a seed, and independent of
 * which thread asks (thread-local state would repeat itself, because a new thread often reuses a
 * joined thread's stack and TLS addresses). */
static int spurious_now(void) {
    static int percent = -1;
    static uint64_t seed;
    static _Atomic uint64_t calls;
    if (percent < 0) {
        const char* text = getenv("CT_CVSPUR_PERCENT");
        const char* seed_text = getenv("CT_SEED");
        seed = seed_text ? strtoull(seed_text, NULL, 10) : 1;
        percent = text ? atoi(text) : 25;
    }
    uint64_t z = seed + (atomic_fetch_add(&calls, 1) + 1) * 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (int)(z % 100) < percent;
}

/* A spurious return must still hand the mutex back and forth like a real wait would. */
static int fake_wakeup(pthread_mutex_t* mutex) {
    pthread_mutex_unlock(mutex);
    sched_yield();
    pthread_mutex_lock(mutex);
    return 0;
}

int pthread_cond_wait(pthread_cond_t* cond, pthread_mutex_t* mutex) {
    static int (*real)(pthread_cond_t*, pthread_mutex_t*);
    if (!real) real = dlvsym(RTLD_NEXT, "pthread_cond_wait", "GLIBC_2.3.2");
    if (spurious_now()) return fake_wakeup(mutex);
    return real(cond, mutex);
}

int pthread_cond_timedwait(pthread_cond_t* cond, pthread_mutex_t* mutex, const struct timespec* at) {
    static int (*real)(pthread_cond_t*, pthread_mutex_t*, const struct timespec*);
    if (!real) real = dlvsym(RTLD_NEXT, "pthread_cond_timedwait", "GLIBC_2.3.2");
    if (spurious_now()) return fake_wakeup(mutex);
    return real(cond, mutex, at);
}

int pthread_cond_clockwait(pthread_cond_t* cond, pthread_mutex_t* mutex, clockid_t clock,
                           const struct timespec* at) {
    static int (*real)(pthread_cond_t*, pthread_mutex_t*, clockid_t, const struct timespec*);
    if (!real) real = dlsym(RTLD_NEXT, "pthread_cond_clockwait");
    if (spurious_now()) return fake_wakeup(mutex);
    return real(cond, mutex, clock, at);
}
