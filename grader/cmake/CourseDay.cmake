# add_course_day: the one function that builds a day, for a reference in `grade check` and for a
# student's submission alike (grader-design §4). The grader never runs a student's build files:
# it configures grader/cmake/day/ with the student's allowlisted files copied into a private
# directory, and this function turns them into one test binary per build flavour.
#
# Per flavour F it defines: ct_harness_F (the harness, compiled with F's flags so sanitizers see
# its synchronisation), ct_student_F (the student's .cpp files, the only objects an edit rebuilds)
# and tests_F in bin/ (public + hidden test sources, linked with both).

include_guard(GLOBAL)

# Grading flags are part of the contract (curriculum §1 and §3): never -Werror on student code.
set(CT_COMMON_FLAGS -O1 -g -Wall -Wextra -Wno-mismatched-new-delete -fno-omit-frame-pointer)
set(CT_FLAVOUR_release_FLAGS "")
set(CT_FLAVOUR_tsan_FLAGS -fsanitize=thread -Wno-tsan)
set(CT_FLAVOUR_asan_FLAGS -fsanitize=address,undefined)

function(ct_add_harness flavour harness_dir)
  if(TARGET ct_harness_${flavour})
    return()
  endif()
  set(sources
    ${harness_dir}/src/ct.cpp
    ${harness_dir}/src/ct_main.cpp
    ${harness_dir}/src/side_channel.cpp
    ${harness_dir}/src/sanitizer_reports.cpp)
  if(flavour STREQUAL "tsan")
    list(APPEND sources ${harness_dir}/src/tsan_hooks.cpp)
  elseif(flavour STREQUAL "asan")
    list(APPEND sources ${harness_dir}/src/asan_hooks.cpp)
  endif()
  # OBJECT, not STATIC: the sanitizer hooks are referenced by nobody at link time, and an
  # archive member nobody references is silently left out.
  add_library(ct_harness_${flavour} OBJECT ${sources})
  target_include_directories(ct_harness_${flavour} PUBLIC ${harness_dir}/include)
  target_compile_features(ct_harness_${flavour} PUBLIC cxx_std_20)
  target_compile_options(ct_harness_${flavour} PUBLIC ${CT_COMMON_FLAGS} ${CT_FLAVOUR_${flavour}_FLAGS})
  target_link_options(ct_harness_${flavour} PUBLIC ${CT_FLAVOUR_${flavour}_FLAGS})
  target_link_libraries(ct_harness_${flavour}
    PUBLIC GTest::gtest GTest::gmock rapidcheck rapidcheck_gtest Threads::Threads
    PRIVATE nlohmann_json::nlohmann_json)
endfunction()

function(ct_add_shims harness_dir)
  if(TARGET ct_cvdelay)
    return()
  endif()
  foreach(shim cvdelay cvspur)
    add_library(ct_${shim} SHARED ${harness_dir}/shims/${shim}.c)
    target_link_libraries(ct_${shim} PRIVATE ${CMAKE_DL_LIBS})
    set_target_properties(ct_${shim} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/shims)
  endforeach()
endfunction()

function(add_course_day)
  cmake_parse_arguments(arg "" "NAME;STUDENT_DIR;HARNESS_DIR" "STUDENT_SOURCES;TEST_SOURCES;FLAVOURS;LIBRARIES" ${ARGN})
  find_package(Threads REQUIRED)
  find_package(GTest REQUIRED)
  find_package(rapidcheck REQUIRED)
  find_package(nlohmann_json REQUIRED)
  ct_add_shims(${arg_HARNESS_DIR})
  foreach(flavour IN LISTS arg_FLAVOURS)
    if(NOT DEFINED CT_FLAVOUR_${flavour}_FLAGS)
      message(FATAL_ERROR "add_course_day(${arg_NAME}): unknown build flavour '${flavour}' (release, tsan, asan)")
    endif()
    ct_add_harness(${flavour} ${arg_HARNESS_DIR})
    set(student_objects "")
    if(arg_STUDENT_SOURCES)
      add_library(ct_student_${flavour} OBJECT ${arg_STUDENT_SOURCES})
      target_include_directories(ct_student_${flavour} PUBLIC ${arg_STUDENT_DIR})
      target_link_libraries(ct_student_${flavour} PUBLIC ct_harness_${flavour} ${arg_LIBRARIES})
      set(student_objects $<TARGET_OBJECTS:ct_student_${flavour}>)
    endif()
    add_executable(tests_${flavour} ${arg_TEST_SOURCES} ${student_objects})
    target_include_directories(tests_${flavour} PRIVATE ${arg_STUDENT_DIR})
    target_link_libraries(tests_${flavour} PRIVATE ct_harness_${flavour} ${arg_LIBRARIES})
    # The sanitizer runtimes are shared libraries: they see the harness's hooks
    # (__tsan_on_report, __tsan_default_options, ...) only if the executable exports them.
    set_target_properties(tests_${flavour} PROPERTIES
      RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin
      ENABLE_EXPORTS ON)
  endforeach()
endfunction()
