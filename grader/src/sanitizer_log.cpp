#include "sanitizer_log.hpp"
#include "util.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>

namespace grade {
namespace {

std::string strip_paths(std::string line, const std::vector<std::string>& strip) {
    for (const auto& prefix : strip) {
        replace_all(line, prefix, "");
    }
    return line;
}

}  // namespace

std::vector<SanitizerReport> parse_sanitizer_log(const std::string& text, const std::vector<std::string>& student_files,
                                                 const std::vector<std::string>& strip) {
    static const std::regex header(
        R"(^(?:==\d+==)?\s*(?:WARNING|ERROR): (ThreadSanitizer|AddressSanitizer|LeakSanitizer): (.*?)(?: \(pid=\d+\))?(?: on (?:unknown )?address.*)?$)");
    static const std::regex ubsan(R"(^(\S+):(\d+):(\d+): runtime error: (.*)$)");
    // TSan: "    #3 cc::BankAccount::withdraw(long) /build/student/bank_account.cpp:17 (tests_tsan+0x1234)"
    // ASan: "    #0 0x55d7 in cc::Heartbeat::run() /s/student/lifetime.cpp:30:5"
    static const std::regex frame(R"(^\s*#\d+ (?:0x[0-9a-f]+ in )?(.*?) (\S+?):(\d+)(?::\d+)?(?: \(.*)?$)");
    static const std::regex any_frame(R"(^\s*#\d+ )");
    const auto is_student = [&](const std::string& file) {
        return std::find(student_files.begin(), student_files.end(), file) != student_files.end();
    };
    std::vector<SanitizerReport> reports;
    std::istringstream in(text);
    std::string line;
    SanitizerReport* current = nullptr;
    int excerpt_lines = 0;
    while (std::getline(in, line)) {
        std::smatch m;
        if (std::regex_search(line, m, header)) {
            reports.push_back({m[1].str(), m[2].str(), "", ""});
            current = &reports.back();
            excerpt_lines = 0;
        } else if (std::regex_search(line, m, ubsan)) {
            reports.push_back({"UndefinedBehaviorSanitizer", m[4].str(), "", ""});
            current = &reports.back();
            excerpt_lines = 0;
            const std::string file = std::filesystem::path(m[1].str()).filename().string();
            if (is_student(file)) {
                current->student_frame = file + ":" + m[2].str();
            }
        }
        if (current == nullptr || line.empty() || line.find("==================") == 0) {
            continue;
        }
        if (line.rfind("SUMMARY:", 0) == 0) {
            current = nullptr;
            continue;
        }
        // Of each stack keep the frames a student can act on: their own files and the tests.
        if (std::regex_search(line, any_frame)) {
            if (!std::regex_search(line, m, frame)) {
                continue;
            }
            const std::string file = std::filesystem::path(m[2].str()).filename().string();
            const bool student = is_student(file);
            if (student && current->student_frame.empty()) {
                current->student_frame = file + ":" + m[3].str() + " in " + m[1].str();
            }
            if (!student && !file.ends_with("_test.cpp")) {
                continue;
            }
            line = fmt::format("      {}:{} in {}", strip_paths(m[2].str(), strip), m[3].str(), m[1].str());
        } else {
            line = strip_paths(line, strip);
        }
        if (excerpt_lines < 40) {
            current->excerpt += line + "\n";
            ++excerpt_lines;
        }
    }
    return reports;
}

std::string explain_sanitizer_kind(const std::string& kind) {
    const auto has = [&](const char* part) { return kind.find(part) != std::string::npos; };
    if (has("data race")) {
        return "Two threads accessed the same memory, at least one of them writing, with nothing ordering the "
               "accesses. Guard the shared data with its mutex on every access, reads included (or make it "
               "std::atomic if it is a single value).";
    }
    if (has("lock-order-inversion")) {
        return "Two mutexes were taken in opposite orders on different paths (A then B here, B then A there). "
               "Run at the same time, those paths deadlock. Take both at once with std::scoped_lock, or always in "
               "one global order.";
    }
    if (has("unlock of an unlocked mutex")) {
        return "A mutex was unlocked that this thread does not hold (unlocked twice, or by another thread). Use "
               "std::lock_guard / std::unique_lock so every lock has exactly one unlock.";
    }
    if (has("thread leak")) {
        return "A thread was never joined: every std::thread must be joined (or use std::jthread).";
    }
    if (has("use-after-free") || has("use-after-scope") || has("use-after-return")) {
        return "Memory was used after its lifetime ended: typically a detached thread or a callback still "
               "running after the object it uses was destroyed. Join threads before their data dies.";
    }
    if (has("leak")) {
        return "Memory was allocated and never freed.";
    }
    if (has("signal")) {
        return "A signal handler called a function that is not async-signal-safe.";
    }
    return "";
}

std::vector<SanitizerReport> read_sanitizer_logs(const std::filesystem::path& dir, const std::string& prefix,
                                                 const std::vector<std::string>& student_files,
                                                 const std::vector<std::string>& strip) {
    std::vector<SanitizerReport> all;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        if (entry.path().filename().string().rfind(prefix, 0) != 0) {
            continue;
        }
        auto reports = parse_sanitizer_log(read_file(entry.path()).value_or(""), student_files, strip);
        all.insert(all.end(), reports.begin(), reports.end());
    }
    return all;
}

}  // namespace grade
