// Strict yaml reading shared by the course metadata (course.cpp) and the instructor's roster
// (roster.cpp): unknown keys are errors with "did you mean", and every error names file:line:col.
#pragma once

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <string>
#include <type_traits>
#include <vector>

#include "edit_distance.hpp"
#include "error.hpp"

namespace grade {

inline std::string where(const std::string& file, const YAML::Mark& mark) {
    if (mark.is_null()) {
        return file;
    }
    return fmt::format("{}:{}:{}", file, mark.line + 1, mark.column + 1);
}

// Reads one yaml document and checks its keys against a schema; every error names file:line:col.
class YamlReader {
public:
    explicit YamlReader(std::string file) : m_file(std::move(file)) {}

    Result<YAML::Node> parse(const std::string& text) const {
        try {
            YAML::Node root = YAML::Load(text);
            if (!root.IsMap()) {
                return fail("{}: expected a mapping of keys at the top level", where(m_file, root.Mark()));
            }
            return root;
        } catch (const YAML::Exception& e) {
            return fail("{}: malformed yaml: {}", where(m_file, e.mark), e.msg);
        }
    }

    // Unknown keys are errors: a misspelt `timout:` must not silently fall back to a default.
    Result<void> only_keys(const YAML::Node& map, const std::vector<std::string>& allowed,
                           const std::string& what) const {
        if (!map.IsMap()) {
            return fail("{}: {} must be a mapping", where(m_file, map.Mark()), what);
        }
        for (const auto& entry : map) {
            const auto key = entry.first.as<std::string>();
            if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
                const auto near = closest(key, allowed, 1);
                return fail("{}: unknown key '{}' in {}{}", where(m_file, entry.first.Mark()), key, what,
                            near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near.front()));
            }
        }
        return {};
    }

    template <class T>
    Result<T> get(const YAML::Node& map, const std::string& key, const std::string& what) const {
        const YAML::Node node = map[key];
        if (!node) {
            return fail("{}: {} has no '{}'", where(m_file, map.Mark()), what, key);
        }
        return convert<T>(node, key);
    }

    template <class T>
    Result<T> get_or(const YAML::Node& map, const std::string& key, T fallback) const {
        const YAML::Node node = map[key];
        if (!node) {
            return fallback;
        }
        return convert<T>(node, key);
    }

    template <class T>
    Result<T> convert(const YAML::Node& node, const std::string& key) const {
        try {
            return node.as<T>();
        } catch (const YAML::Exception&) {
            return fail("{}: '{}' has the wrong type (expected {})", where(m_file, node.Mark()), key,
                        type_name<T>());
        }
    }

    const std::string& file() const { return m_file; }

private:
    template <class T>
    static const char* type_name() {
        if constexpr (std::is_same_v<T, std::string>) {
            return "text";
        } else if constexpr (std::is_same_v<T, bool>) {
            return "true or false";
        } else if constexpr (std::is_integral_v<T>) {
            return "a whole number";
        } else if constexpr (std::is_floating_point_v<T>) {
            return "a number";
        } else {
            return "a list of text";
        }
    }

    std::string m_file;
};

}  // namespace grade
