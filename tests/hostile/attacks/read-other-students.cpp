// Reads other students' submissions: its own binary lives in <cache>/work/<workspace>/build/bin,
// so the other workspaces are next door; it lists them and reads every file of their student/.
// Contained: Landlock (and the slot uids' modes) keep a test inside its own workspace.
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>

#include <fstream>
#include <iterator>
#include <string>

#include "attack.hpp"

namespace hostile {

std::string attack() {
    char exe[PATH_MAX] = {};
    if (realpath("/proc/self/exe", exe) == nullptr) {
        return "cannot resolve /proc/self/exe";
    }
    std::string work = exe;
    for (int up = 0; up < 4; ++up) {  // bin, build, workspace -> work
        work = work.substr(0, work.rfind('/'));
    }
    std::string result = "work=" + work + "; ";
    DIR* dir = opendir(work.c_str());
    if (dir == nullptr) {
        return result + "cannot list it";
    }
    while (const dirent* entry = readdir(dir)) {
        const std::string student = work + "/" + entry->d_name + "/student";
        DIR* files = opendir(student.c_str());
        if (files == nullptr) {
            result += student + ": cannot list; ";
            continue;
        }
        while (const dirent* file = readdir(files)) {
            if (file->d_name[0] == '.') {
                continue;
            }
            std::ifstream in(student + "/" + file->d_name);
            const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            result += student + "/" + file->d_name + ": " + (in ? text.substr(0, 200) : "cannot read") + "; ";
        }
        closedir(files);
    }
    closedir(dir);
    return result;
}

int answer() { return 42; }

}  // namespace hostile
