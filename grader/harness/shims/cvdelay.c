/* LD_PRELOAD shim: sleep inside every condition-variable wait before really waiting, while the
 * caller still holds the mutex (curriculum 3.5, playbook 3.6).
 *
 * Why: a lost wakeup needs the notifier to run in the gap between "checked the flag" and "started
 * waiting". That gap is nanoseconds wide and almost never hit by chance (0/20000 measured). Holding
 * the mutex for 2 ms in that gap makes a setter that writes the flag *outside* the lock notify
 * nobody, every time, while a setter that takes the lock simply waits its turn: correct code is
 * unaffected. CT_CVDELAY_US overrides the delay. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

static long delay_us(void) {
    static long value = -1;
    if (value < 0) {
        const char* text = getenv("CT_CVDELAY_US");
        value = text ? atol(text) : 2000;
    }
    return value;
}

static void pause_here(void) {
    struct timespec ts = {delay_us() / 1000000, (delay_us() % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

int pthread_cond_wait(pthread_cond_t* cond, pthread_mutex_t* mutex) {
    static int (*real)(pthread_cond_t*, pthread_mutex_t*);
    if (!real) real = dlvsym(RTLD_NEXT, "pthread_cond_wait", "GLIBC_2.3.2");
    pause_here();
    return real(cond, mutex);
}

int pthread_cond_timedwait(pthread_cond_t* cond, pthread_mutex_t* mutex, const struct timespec* at) {
    static int (*real)(pthread_cond_t*, pthread_mutex_t*, const struct timespec*);
    if (!real) real = dlvsym(RTLD_NEXT, "pthread_cond_timedwait", "GLIBC_2.3.2");
    pause_here();
    return real(cond, mutex, at);
}

int pthread_cond_clockwait(pthread_cond_t* cond, pthread_mutex_t* mutex, clockid_t clock,
                           const struct timespec* at) {
    static int (*real)(pthread_cond_t*, pthread_mutex_t*, clockid_t, const struct timespec*);
    if (!real) real = dlsym(RTLD_NEXT, "pthread_cond_clockwait");
    pause_here();
    return real(cond, mutex, clock, at);
}
