// The `main` of every test binary: GoogleTest plus the side channel.
//
// For each test it sends `start`, one `failure` per failed assertion (file, line, message), any
// sanitizer reports, and `end` with the verdict; after the last test, `done`. The grader counts a
// test as passed only if `end` says so, `done` arrived, and the process exited normally: a student
// `exit(0)` in the middle of a test therefore never passes.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "ct/ct.hpp"
#include "sanitizer_reports.hpp"
#include "side_channel.hpp"

namespace {

class SideChannelListener : public testing::EmptyTestEventListener {
public:
    void OnTestStart(const testing::TestInfo& info) override {
        m_started = std::chrono::steady_clock::now();
        ct::detail::send_frame({{"type", "start"}, {"test", full_name(info)}, {"seed", ct::seed()}});
    }

    void OnTestPartResult(const testing::TestPartResult& result) override {
        if (!result.failed()) {
            return;
        }
        ct::detail::send_frame({{"type", "failure"},
                                {"file", result.file_name() != nullptr ? result.file_name() : ""},
                                {"line", result.line_number()},
                                {"message", result.message()}});
    }

    void OnTestEnd(const testing::TestInfo& info) override {
        for (const auto& report : ct::detail::take_sanitizer_reports()) {
            ct::detail::send_frame({{"type", "sanitizer"}, {"kind", report}});
        }
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - m_started)
                            .count();
        const bool passed = !info.result()->Failed();
        ct::detail::send_frame(
            {{"type", "end"}, {"test", full_name(info)}, {"passed", passed}, {"ms", ms}});
        if (!passed) {
            print_rerun(info);
        }
    }

private:
    static std::string full_name(const testing::TestInfo& info) {
        return std::string(info.test_suite_name()) + "." + info.name();
    }

    static void print_rerun(const testing::TestInfo& info) {
        const char* rerun = std::getenv("CT_RERUN");
        std::printf("[ seed %llu ] rerun: %s\n", static_cast<unsigned long long>(ct::seed()),
                    rerun != nullptr ? rerun
                                     : ("CT_SEED=" + std::to_string(ct::seed()) +
                                        " <this binary> --gtest_filter=" + full_name(info))
                                           .c_str());
        std::fflush(stdout);
    }

    std::chrono::steady_clock::time_point m_started{};
};

}  // namespace

int main(int argc, char** argv) {
    ct::detail::init_side_channel();
    // RapidCheck reads RC_PARAMS on first use: tie its seed to ours unless someone set it.
    if (std::getenv("RC_PARAMS") == nullptr) {
        const std::string params = "seed=" + std::to_string(ct::seed()) + " verbose_progress=0";
        setenv("RC_PARAMS", params.c_str(), 1);
    }
    testing::InitGoogleTest(&argc, argv);
    testing::UnitTest::GetInstance()->listeners().Append(new SideChannelListener);
    const int rc = RUN_ALL_TESTS();
    ct::detail::send_frame({{"type", "done"}, {"status", rc}});
    return rc;
}
