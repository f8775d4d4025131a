# lodging_add_service(<name>): a service binary from services/<name>/.
#
# Every *.c of the folder except main.c goes into a static library
# <name_with_underscores>_core, so the service's unit tests (and integration
# tests that drive one module directly) link the same code as the binary;
# main.c (wiring only) is linked on top. When the folder has tests/CMakeLists.txt
# it is added too.
function(lodging_add_service NAME)
  string(REPLACE "-" "_" _lib "${NAME}_core")
  file(GLOB _src CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.c)
  list(REMOVE_ITEM _src ${CMAKE_CURRENT_SOURCE_DIR}/main.c)
  if(_src)
    add_library(${_lib} STATIC ${_src})
  else()
    add_library(${_lib} INTERFACE)
  endif()
  if(_src)
    target_include_directories(${_lib} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
    target_link_libraries(${_lib} PUBLIC common)
  else()
    target_include_directories(${_lib} INTERFACE ${CMAKE_CURRENT_SOURCE_DIR})
    target_link_libraries(${_lib} INTERFACE common)
  endif()
  add_executable(${NAME} main.c)
  target_link_libraries(${NAME} PRIVATE ${_lib})
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/tests/CMakeLists.txt)
    add_subdirectory(tests)
  endif()
endfunction()
