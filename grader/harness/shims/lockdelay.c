/* LD_PRELOAD shim: every thread sleeps a moment right after it locks a mutex, still holding it.
 *
 * Why: a deadlock by lock order (every philosopher holds the left fork and waits for the right)
 * needs each thread to take its first lock before any takes its second. Natural schedules rarely
 * line that up; a 1 ms pause after each lock makes it the normal case, so a design that can
 * deadlock does so in its first round, while a design that cannot (one global order, all locks
 * taken together, a waiter that admits n - 1) only runs a little slower. The pause is harmless to
 * correct code: holding a lock a little longer is a legal schedule. Only pthread_mutex_lock is
 * delayed (std::mutex, std::lock's first lock); a try_lock never is. CT_LOCKDELAY_US overrides
 * 1000. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

static long delay_us(void) {
    static long value = -1;
    if (value < 0) {
        const char* text = getenv("CT_LOCKDELAY_US");
        value = text ? atol(text) : 1000;
    }
    return value;
}

int pthread_mutex_lock(pthread_mutex_t* mutex) {
    static int (*real)(pthread_mutex_t*);
    if (!real) real = dlsym(RTLD_NEXT, "pthread_mutex_lock");
    const int result = real(mutex);
    if (result == 0) {
        struct timespec ts = {delay_us() / 1000000, (delay_us() % 1000000) * 1000};
        nanosleep(&ts, NULL);
    }
    return result;
}
