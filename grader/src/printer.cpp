#include "printer.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

namespace grade {
namespace {

bool wants_color(ColorMode mode, int fd) {
    if (mode == ColorMode::never) {
        return false;
    }
    if (mode == ColorMode::always) {
        return true;
    }
    const char* no_color = std::getenv("NO_COLOR");
    const char* term = std::getenv("TERM");
    return ::isatty(fd) != 0 && (no_color == nullptr || *no_color == '\0') &&
           (term == nullptr || std::string_view(term) != "dumb");
}

std::string paint(bool on, std::string_view code, std::string_view text) {
    return on ? fmt::format("\x1b[{}m{}\x1b[0m", code, text) : std::string(text);
}

std::string indent(const std::string& text, std::string_view prefix) {
    std::istringstream in(text);
    std::string line;
    std::string out;
    while (std::getline(in, line)) {
        out += fmt::format("{}{}\n", prefix, line);
    }
    return out;
}

}  // namespace

Printer::Printer(ColorMode mode)
    : m_color_out(wants_color(mode, STDOUT_FILENO)),
      m_color_err(wants_color(mode, STDERR_FILENO)),
      m_err_tty(::isatty(STDERR_FILENO) != 0) {}

std::string Printer::green(std::string_view text) const { return paint(m_color_out, "32", text); }
std::string Printer::red(std::string_view text) const { return paint(m_color_out, "31", text); }
std::string Printer::yellow(std::string_view text) const { return paint(m_color_out, "33", text); }
std::string Printer::bold(std::string_view text) const { return paint(m_color_out, "1", text); }

void Printer::progress(std::string_view text) const {
    fmt::print(stderr, "{} {}\n", paint(m_color_err, "2", "grade:"), text);
    std::fflush(stderr);
}

void Printer::test_started(int index, int count, std::string_view name) const {
    if (m_err_tty) {
        fmt::print(stderr, "\r\x1b[2K{} [{}/{}] {}", paint(m_color_err, "2", "grade:"), index, count, name);
    } else {
        fmt::print(stderr, "grade: [{}/{}] {}\n", index, count, name);
    }
    std::fflush(stderr);
}

void Printer::test_finished() const {
    if (m_err_tty) {
        fmt::print(stderr, "\r\x1b[2K");
        std::fflush(stderr);
    }
}

void Printer::progress_bar(int done, int total, int errors, std::chrono::seconds eta, std::string_view line) const {
    if (!m_err_tty) {
        fmt::print(stderr, "grade: [{}/{}] {}\n", done, total, line);
        std::fflush(stderr);
        return;
    }
    constexpr int width = 24;
    const int filled = total > 0 ? done * width / total : width;
    const auto minutes = eta.count() / 60;
    const auto seconds = eta.count() % 60;
    fmt::print(stderr, "\r\x1b[2K{} [{}{}] {}/{}{} · ETA {}m{:02}s · {}", paint(m_color_err, "2", "grade:"),
               std::string(static_cast<std::size_t>(filled), '#'), std::string(static_cast<std::size_t>(width - filled), '.'),
               done, total, errors > 0 ? paint(m_color_err, "33", fmt::format(" · {} with errors", errors)) : "",
               minutes, seconds, line);
    std::fflush(stderr);
}

void Printer::progress_bar_end() const { test_finished(); }

void Printer::error(const Error& error) const {
    fmt::print(stderr, "{} {}\n", paint(m_color_err, "1;31", "grade: error:"), error.message);
}

void Printer::warning(std::string_view text) const {
    fmt::print(stderr, "{} {}\n", paint(m_color_err, "33", "grade: warning:"), text);
}

std::string Printer::day_report(const DayResult& result, const DaySpec& day) const {
    std::string out = bold(fmt::format("{}: {}", result.day, result.title)) + "\n";
    for (const auto& rejected : result.rejected) {
        out += yellow("  refused: ") + rejected + "\n";
    }
    if (!result.missing.empty()) {
        std::string names;
        for (const auto& m : result.missing) {
            names += (names.empty() ? "" : ", ") + m;
        }
        out += yellow("  missing: ") + names + " (graded with the files that exist)\n";
    }
    if (!result.build_messages.empty()) {
        out += "\n" + red("Your code does not compile") + " (every test below is build_error). The compiler said:\n";
        out += indent(result.build_messages, "  | ");
    }
    const auto label = [](const TestResult& test) { return test.name + (test.hidden ? " (hidden)" : ""); };
    std::size_t width = 0;
    for (const auto& test : result.tests) {
        width = std::max(width, label(test).size());
    }
    for (const auto& task : day.tasks) {
        bool header = false;
        for (const auto& test : result.tests) {
            if (test.task != task.number) {
                continue;
            }
            if (!header) {
                out += "\n" + bold(fmt::format("Task {}. {}", task.number, task.title)) + "\n";
                header = true;
            }
            const bool passed = test.outcome == Outcome::pass;
            const std::string mark = passed ? green("PASS") : red("FAIL");
            const std::string kind = passed ? "" : to_string(test.outcome);
            out += fmt::format("  {}  {:<{}}  {:>11} {:>6}\n", mark, label(test), width,
                               kind, fmt::format("{:g}/{:g}", test.score, test.max_score));
            if (!passed && test.outcome != Outcome::build_error && !test.message.empty()) {
                out += indent(test.message, "        | ");
            }
        }
    }
    const int failed = static_cast<int>(result.tests.size()) - result.passed();
    const auto score = fmt::format("Score {:g}/{:g}", result.score, result.max_score);
    out += "\n" + bold(result.full_marks() ? green(score) : score) +
           fmt::format(": {} passed, {} failed ({:.1f} s)\n", result.passed(), failed,
                       static_cast<double>(result.execution_time.count()) / 1000.0);
    out += fmt::format("grader {} · bundle {} · {} · sandbox: {}\n", result.grader_version,
                       result.bundle.substr(0, 19), result.toolchain, result.sandbox_tier);
    for (const auto& warning : result.sandbox_warnings) {
        out += yellow("warning: ") + warning + "\n";
    }
    return out;
}

}  // namespace grade
