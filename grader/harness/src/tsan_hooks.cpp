// Linked into the tsan flavour only. Bakes the grader's TSan settings into the test binary and
// notes each report's kind for the side channel (playbook 2.5, 2.6, 2.3).
#include <pthread.h>

#include <cerrno>
#include <ctime>

#include "sanitizer_reports.hpp"

extern "C" {

// Defaults; the grader's TSAN_OPTIONS (log_path per test) still override them.
// second_deadlock_stack: show where each mutex of an inversion was taken.
// atexit_sleep_ms: a TSan binary otherwise sleeps 1 s at exit when a thread is still alive.
const char* __tsan_default_options() {
    return "second_deadlock_stack=1:atexit_sleep_ms=50:halt_on_error=0:history_size=4";
}

int __tsan_get_report_data(void* report, const char** description, int* count, int* stack_count,
                           int* mop_count, int* loc_count, int* mutex_count, int* thread_count,
                           int* unique_tid_count, void** sleep_trace, unsigned long trace_size);

// Called by the TSan runtime for every report; returning nonzero keeps the report.
int __tsan_on_report(void* report) {
    const char* description = nullptr;
    int count = 0, stacks = 0, mops = 0, locs = 0, mutexes = 0, threads = 0, tids = 0;
    void* trace[1] = {nullptr};
    __tsan_get_report_data(report, &description, &count, &stacks, &mops, &locs, &mutexes, &threads,
                           &tids, trace, 1);
    ct::detail::note_sanitizer_report("ThreadSanitizer", description != nullptr ? description : "report");
    return 1;
}

// libstdc++ implements timed mutex waits with pthread_mutex_clocklock, which g++ 12's TSan does
// not intercept: a correct try_lock_for() + unlock() is then reported as "unlock of an unlocked
// mutex". Forwarding to the intercepted pthread_mutex_timedlock removes that false positive.
int pthread_mutex_clocklock(pthread_mutex_t* mutex, clockid_t clock, const struct timespec* abstime) {
    struct timespec now_clock {};
    struct timespec now_real {};
    clock_gettime(clock, &now_clock);
    clock_gettime(CLOCK_REALTIME, &now_real);
    long long ns = (static_cast<long long>(abstime->tv_sec) - now_clock.tv_sec) * 1000000000LL +
                   (abstime->tv_nsec - now_clock.tv_nsec);
    ns += static_cast<long long>(now_real.tv_sec) * 1000000000LL + now_real.tv_nsec;
    if (ns < 0) {
        ns = 0;
    }
    struct timespec real_deadline {};
    real_deadline.tv_sec = static_cast<time_t>(ns / 1000000000LL);
    real_deadline.tv_nsec = static_cast<long>(ns % 1000000000LL);
    return pthread_mutex_timedlock(mutex, &real_deadline);
}

}  // extern "C"
