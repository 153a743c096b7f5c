#include "embed_scan.hpp"

#include <elf.h>

#include <cctype>
#include <cstring>
#include <unordered_map>

#include "util.hpp"

namespace grade {
namespace {

constexpr std::size_t window = 64;
constexpr std::uint64_t base = 1'000'003;

std::uint64_t power() {
    std::uint64_t p = 1;
    for (std::size_t i = 0; i + 1 < window; ++i) {
        p *= base;
    }
    return p;
}

std::uint64_t hash_of(const char* data) {
    std::uint64_t h = 0;
    for (std::size_t i = 0; i < window; ++i) {
        h = h * base + static_cast<unsigned char>(data[i]);
    }
    return h;
}

// The secret with raw string literals blanked (their text legitimately sits in .rodata).
std::string without_raw_strings(std::string text) {
    for (auto at = text.find("R\""); at != std::string::npos; at = text.find("R\"", at + 2)) {
        const auto open = text.find('(', at + 2);
        if (open == std::string::npos || open - at > 18) {
            continue;
        }
        const std::string close = ")" + text.substr(at + 2, open - at - 2) + "\"";
        const auto end = text.find(close, open);
        if (end == std::string::npos) {
            break;
        }
        for (auto i = open; i < end; ++i) {
            text[i] = '\x01';
        }
        at = end;
    }
    return text;
}

// Windows of the secret worth looking for: starting at a line, running into the next one, with
// enough letters to be unmistakable (not just braces and blanks), and outside raw strings.
std::unordered_multimap<std::uint64_t, std::size_t> windows_of(const std::string& secret) {
    std::unordered_multimap<std::uint64_t, std::size_t> found;
    for (std::size_t at = 0; at + window <= secret.size(); at = secret.find('\n', at) + 1) {
        const char* w = secret.data() + at;
        const void* newline = std::memchr(w + 1, '\n', window - 2);
        const bool raw = std::memchr(w, '\x01', window) != nullptr;
        int letters = 0;
        for (std::size_t i = 0; i < window; ++i) {
            letters += std::isalnum(static_cast<unsigned char>(w[i])) ? 1 : 0;
        }
        if (newline != nullptr && !raw && letters >= 24) {
            found.emplace(hash_of(w), at);
        }
        if (secret.find('\n', at) == std::string::npos) {
            break;
        }
    }
    return found;
}

bool scan(const std::string& haystack, const std::string& clean_secret,
          const std::unordered_multimap<std::uint64_t, std::size_t>& windows) {
    if (windows.empty() || haystack.size() < window) {
        return false;
    }
    static const std::uint64_t top = power();
    // A bit per hash value's top bits filters almost every position before the map is asked.
    std::vector<bool> maybe(1u << 22);
    for (const auto& [h, at] : windows) {
        maybe[h >> 42] = true;
    }
    std::uint64_t h = hash_of(haystack.data());
    for (std::size_t at = 0;; ++at) {
        if (maybe[h >> 42]) {
            const auto [first, last] = windows.equal_range(h);
            for (auto it = first; it != last; ++it) {
                if (std::memcmp(haystack.data() + at, clean_secret.data() + it->second, window) == 0) {
                    return true;
                }
            }
        }
        if (at + window >= haystack.size()) {
            return false;
        }
        h = (h - static_cast<unsigned char>(haystack[at]) * top) * base +
            static_cast<unsigned char>(haystack[at + window]);
    }
}

// The bytes a running program can read: every SHF_ALLOC section with file contents.
std::string loaded_sections(const std::string& elf) {
    if (elf.size() < sizeof(Elf64_Ehdr) || std::memcmp(elf.data(), ELFMAG, SELFMAG) != 0 ||
        elf[EI_CLASS] != ELFCLASS64) {
        return elf;  // not what we expect: scan everything
    }
    Elf64_Ehdr header;
    std::memcpy(&header, elf.data(), sizeof header);
    std::string loaded;
    for (unsigned i = 0; i < header.e_shnum; ++i) {
        const auto offset = header.e_shoff + static_cast<std::uint64_t>(i) * header.e_shentsize;
        if (offset + sizeof(Elf64_Shdr) > elf.size()) {
            break;
        }
        Elf64_Shdr section;
        std::memcpy(&section, elf.data() + offset, sizeof section);
        if ((section.sh_flags & SHF_ALLOC) != 0 && section.sh_type != SHT_NOBITS &&
            section.sh_offset + section.sh_size <= elf.size()) {
            loaded.append(elf, section.sh_offset, section.sh_size);
        }
    }
    return loaded;
}

}  // namespace

bool contains_embedded(const std::string& haystack, const std::string& secret) {
    const auto clean = without_raw_strings(secret);
    return scan(haystack, clean, windows_of(clean));
}

std::optional<std::string> find_embedded(const std::filesystem::path& binary,
                                         const std::vector<std::filesystem::path>& secrets) {
    const auto elf = read_file(binary);
    if (!elf) {
        return std::nullopt;
    }
    const std::string loaded = loaded_sections(*elf);
    for (const auto& secret : secrets) {
        const auto text = read_file(secret);
        if (text && contains_embedded(loaded, *text)) {
            return secret.filename().string();
        }
    }
    return std::nullopt;
}

}  // namespace grade
