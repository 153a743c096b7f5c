// All human output goes through here (grader-design §9.6): progress on stderr, reports on stdout
// (or a file). Machine formats are in report_*.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

#include "course.hpp"
#include "error.hpp"
#include "score.hpp"

namespace grade {

enum class ColorMode { automatic, never, always };

class Printer {
public:
    explicit Printer(ColorMode mode = ColorMode::automatic);

    // Progress lines on stderr ("grade: building day01 (release, tsan, asan)").
    void progress(std::string_view text) const;
    // A test about to run, as "[3/18] Name"; replaced in place on a terminal.
    void test_started(int index, int count, std::string_view name) const;
    void test_finished() const;
    // Long work (a batch): "[########......] 12/30 · 2 with errors · ETA 3m20s · alice", redrawn in
    // place on a terminal; on a pipe, one plain line per finished item (`line`), no bar.
    void progress_bar(int done, int total, int errors, std::chrono::seconds eta, std::string_view line) const;
    void progress_bar_end() const;
    void error(const Error& error) const;
    void warning(std::string_view text) const;

    // The text report of a graded day.
    std::string day_report(const DayResult& result, const DaySpec& day) const;

    // Plain text with the colours of this printer's stdout.
    std::string green(std::string_view text) const;
    std::string red(std::string_view text) const;
    std::string yellow(std::string_view text) const;
    std::string bold(std::string_view text) const;

    bool stderr_is_terminal() const { return m_err_tty; }

private:
    bool m_color_out;
    bool m_color_err;
    bool m_err_tty;
};

}  // namespace grade
