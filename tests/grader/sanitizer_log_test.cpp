#include "sanitizer_log.hpp"

#include <gtest/gtest.h>

namespace grade {
namespace {

const char* const race = R"(==================
WARNING: ThreadSanitizer: data race (pid=4242)
  Write of size 8 at 0x7b0400000010 by thread T2:
    #0 cc::BankAccount::withdraw(long) /cache/work/x/student/bank_account.cpp:17 (tests_tsan+0x1234)
    #1 operator() /bundle/exercises/day01/hidden/bank_hidden_test.cpp:40 (tests_tsan+0x5678)
    #2 std::thread::_State_impl<...>::_M_run() /usr/include/c++/12/bits/std_thread.h:211 (tests_tsan+0x9)

  Previous read of size 8 at 0x7b0400000010 by thread T1:
    #0 cc::BankAccount::withdraw(long) /cache/work/x/student/bank_account.cpp:12 (tests_tsan+0x1200)

SUMMARY: ThreadSanitizer: data race /cache/work/x/student/bank_account.cpp:17 in cc::BankAccount::withdraw(long)
==================
==================
WARNING: ThreadSanitizer: lock-order-inversion (potential deadlock) (pid=4242)
  Cycle in lock order graph: M1 (0x1) => M2 (0x2) => M1
    #0 pthread_mutex_lock ../../../../src/libsanitizer/sanitizer_common/x.inc:4324 (libtsan.so.2+0x558e1)
    #4 cc::transfer(cc::Account&, cc::Account&, long) /cache/work/x/student/account.cpp:19 (tests_tsan+0x5f376)
SUMMARY: ThreadSanitizer: lock-order-inversion (potential deadlock) /cache/work/x/student/account.cpp:19 in transfer
==================
)";

TEST(SanitizerLog, FindsKindAndFirstStudentFrame) {
    const auto reports = parse_sanitizer_log(race, {"bank_account.cpp", "account.cpp"},
                                             {"/cache/work/x/student/", "/bundle/exercises/day01/hidden/"});
    ASSERT_EQ(reports.size(), 2u);
    EXPECT_EQ(reports[0].tool, "ThreadSanitizer");
    EXPECT_EQ(reports[0].kind, "data race");
    EXPECT_EQ(reports[0].student_frame, "bank_account.cpp:17 in cc::BankAccount::withdraw(long)");
    EXPECT_EQ(reports[1].kind, "lock-order-inversion (potential deadlock)");
    EXPECT_EQ(reports[1].student_frame, "account.cpp:19 in cc::transfer(cc::Account&, cc::Account&, long)");
}

TEST(SanitizerLog, ExcerptKeepsStudentAndTestFramesWithoutPrivatePaths) {
    const auto reports = parse_sanitizer_log(race, {"bank_account.cpp"}, {"/cache/work/x/student/",
                                                                          "/bundle/exercises/day01/hidden/"});
    const auto& excerpt = reports.at(0).excerpt;
    EXPECT_NE(excerpt.find("bank_account.cpp:17 in cc::BankAccount::withdraw(long)"), std::string::npos) << excerpt;
    EXPECT_NE(excerpt.find("bank_hidden_test.cpp:40"), std::string::npos) << excerpt;
    EXPECT_EQ(excerpt.find("/cache/"), std::string::npos) << excerpt;
    EXPECT_EQ(excerpt.find("std_thread.h"), std::string::npos) << excerpt;
    EXPECT_EQ(excerpt.find("SUMMARY"), std::string::npos) << excerpt;
}

TEST(SanitizerLog, ReadsAddressSanitizerAndUbsanHeaders) {
    const auto asan = parse_sanitizer_log(
        "==12==ERROR: AddressSanitizer: heap-use-after-free on address 0x602 at pc 0x1 bp 0x2 sp 0x3\n"
        "    #0 0x55 in cc::Heartbeat::run() /s/student/lifetime.cpp:30\n",
        {"lifetime.cpp"}, {"/s/student/"});
    ASSERT_EQ(asan.size(), 1u);
    EXPECT_EQ(asan[0].kind, "heap-use-after-free");
    EXPECT_EQ(asan[0].student_frame, "lifetime.cpp:30 in cc::Heartbeat::run()");
    const auto ub = parse_sanitizer_log("/s/student/a.cpp:5:9: runtime error: signed integer overflow\n", {"a.cpp"}, {});
    ASSERT_EQ(ub.size(), 1u);
    EXPECT_EQ(ub[0].tool, "UndefinedBehaviorSanitizer");
    EXPECT_EQ(ub[0].student_frame, "a.cpp:5");
}

TEST(SanitizerLog, EveryCommonKindIsExplained) {
    for (const auto* kind : {"data race", "lock-order-inversion (potential deadlock)", "thread leak",
                             "unlock of an unlocked mutex (or by a wrong thread)", "heap-use-after-free"}) {
        EXPECT_FALSE(explain_sanitizer_kind(kind).empty()) << kind;
    }
}

}  // namespace
}  // namespace grade
