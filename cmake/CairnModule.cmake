# cairn_add_module(NAME query SOURCES a.cc b.cc PUBLIC_DEPS ... PRIVATE_DEPS ...)
# Creates the static library cairn_<NAME> with alias cairn::<NAME>; include root = repo root.
function(cairn_add_module)
  cmake_parse_arguments(M "" "NAME" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(cairn_${M_NAME} STATIC ${M_SOURCES})
  add_library(cairn::${M_NAME} ALIAS cairn_${M_NAME})
  target_include_directories(cairn_${M_NAME} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(cairn_${M_NAME} PUBLIC ${M_PUBLIC_DEPS} PRIVATE cairn_flags ${M_PRIVATE_DEPS})
endfunction()

# cairn_add_test(NAME cairn_query_tests SOURCES ... DEPS ... LABELS unit)
function(cairn_add_test)
  cmake_parse_arguments(T "" "NAME" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE cairn_flags cairn_testing ${T_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  gtest_discover_tests(${T_NAME}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    PROPERTIES LABELS "${T_LABELS}" ENVIRONMENT "TZ=UTC"
    DISCOVERY_TIMEOUT 60)
endfunction()
