# Helpers that register tests with CTest.
#
#   lodging_add_check_test(NAME <name> SOURCES <files...> LABELS unit|integration
#                          [LIBS <extra libs...>] [TIMEOUT <seconds>])
#
# Builds one executable per check suite and registers it. Unit tests need nothing
# running; integration tests read the stack's endpoints from the environment
# (KAFKA_BROKERS, REDIS_URL, MYSQL_URL, ...) that `make test` exports.
# CK_FORK=no keeps ASan's leak checker in the process that owns the memory.
# SHUTDOWN_DRAIN_MS=0: the services a test starts close their listener at once
# on SIGTERM (no load balancer to wait for); the drain test sets its own.
function(lodging_add_check_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LABELS;LIBS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE common PkgConfig::CHECK ${T_LIBS})
  target_include_directories(${T_NAME} PRIVATE ${CMAKE_SOURCE_DIR}/tests/lib)
  target_compile_definitions(${T_NAME} PRIVATE
      LODGING_SOURCE_DIR="${CMAKE_SOURCE_DIR}" LODGING_BINARY_DIR="${CMAKE_BINARY_DIR}")
  add_test(NAME ${T_NAME} COMMAND ${T_NAME})
  set_tests_properties(${T_NAME} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
      ENVIRONMENT "CK_FORK=no;CK_DEFAULT_TIMEOUT=${T_TIMEOUT};SHUTDOWN_DRAIN_MS=0")
endfunction()
