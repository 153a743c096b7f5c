// Reads a sanitizer's report files (written through log_path, so a student who closes stderr
// cannot hide them) and finds what a student needs: the kind of report, the first stack frame
// that lies in one of the student's editable files, and a short excerpt with build paths removed.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace grade {

struct SanitizerReport {
    std::string tool;     // ThreadSanitizer, AddressSanitizer, UndefinedBehaviorSanitizer, LeakSanitizer
    std::string kind;     // "data race", "lock-order-inversion (potential deadlock)", "heap-use-after-free"
    std::string student_frame;  // "bank_account.cpp:17 in cc::BankAccount::withdraw(long)", or empty
    std::string excerpt;  // the report, paths relative, at most ~40 lines
};

// Parses the text of one log; `student_files` are file names (no directories); `strip` prefixes
// are removed from paths so students see "bank_account.cpp:17", not the private build tree.
std::vector<SanitizerReport> parse_sanitizer_log(const std::string& text, const std::vector<std::string>& student_files,
                                                 const std::vector<std::string>& strip);

// What a kind of report usually means, in words (empty when unknown).
std::string explain_sanitizer_kind(const std::string& kind);

// Every file whose name starts with `prefix` in `dir` (log_path writes prefix.<pid>).
std::vector<SanitizerReport> read_sanitizer_logs(const std::filesystem::path& dir, const std::string& prefix,
                                                 const std::vector<std::string>& student_files,
                                                 const std::vector<std::string>& strip);

}  // namespace grade
