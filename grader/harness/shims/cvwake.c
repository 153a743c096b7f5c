/* LD_PRELOAD shim: every timed condition-variable wait wakes within a millisecond, as if notified.
 *
 * Why: a timed wait that restarts its full timeout after each wakeup (cv.wait_for(lock, d) in a
 * loop with the same d) never times out while something keeps waking it without making its
 * condition true, as a stream of notify_all()s meant for other waiters does. Here every timed wait
 * meets such a stream. An early return is a spurious wakeup, which POSIX allows, so a wait that
 * computes its deadline once (wait_until, or wait_for with a predicate) still times out on time,
 * only checking its condition more often. Untimed waits are left alone. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <time.h>

static const long wake_ns = 1000000; /* 1 ms */

/* Waits until `at` or for 1 ms, whichever comes first; a wait cut short by us reports a wakeup. */
static int wait_a_little(int (*real)(pthread_cond_t*, pthread_mutex_t*, clockid_t, const struct timespec*),
                         pthread_cond_t* cond, pthread_mutex_t* mutex, clockid_t clock, const struct timespec* at) {
    struct timespec soon;
    clock_gettime(clock, &soon);
    soon.tv_nsec += wake_ns;
    if (soon.tv_nsec >= 1000000000L) {
        soon.tv_nsec -= 1000000000L;
        soon.tv_sec += 1;
    }
    if (at->tv_sec < soon.tv_sec || (at->tv_sec == soon.tv_sec && at->tv_nsec <= soon.tv_nsec)) {
        return real(cond, mutex, clock, at); /* the caller's own timeout comes first */
    }
    const int result = real(cond, mutex, clock, &soon);
    return result == ETIMEDOUT ? 0 : result;
}

static int real_clockwait(pthread_cond_t* cond, pthread_mutex_t* mutex, clockid_t clock, const struct timespec* at) {
    static int (*real)(pthread_cond_t*, pthread_mutex_t*, clockid_t, const struct timespec*);
    if (!real) real = dlsym(RTLD_NEXT, "pthread_cond_clockwait");
    return real(cond, mutex, clock, at);
}

/* pthread_cond_timedwait measures against the condition variable's clock; std::condition_variable
 * leaves it at the default, CLOCK_REALTIME (and uses pthread_cond_clockwait for steady waits). */
static int realtime_timedwait(pthread_cond_t* cond, pthread_mutex_t* mutex, clockid_t clock, const struct timespec* at) {
    static int (*real)(pthread_cond_t*, pthread_mutex_t*, const struct timespec*);
    (void)clock;
    if (!real) real = dlvsym(RTLD_NEXT, "pthread_cond_timedwait", "GLIBC_2.3.2");
    return real(cond, mutex, at);
}

int pthread_cond_clockwait(pthread_cond_t* cond, pthread_mutex_t* mutex, clockid_t clock, const struct timespec* at) {
    return wait_a_little(real_clockwait, cond, mutex, clock, at);
}

int pthread_cond_timedwait(pthread_cond_t* cond, pthread_mutex_t* mutex, const struct timespec* at) {
    return wait_a_little(realtime_timedwait, cond, mutex, CLOCK_REALTIME, at);
}
