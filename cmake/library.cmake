# tracehop_add_library(<layer> <sources>...): the library of one layer, `tracehop_<layer>`, with
# its alias `tracehop::<layer>`, the public headers, C++20 and the project's warnings.
function(tracehop_add_library layer)
  set(target tracehop_${layer})
  add_library(${target} ${ARGN})
  add_library(tracehop::${layer} ALIAS ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${layer} OUTPUT_NAME ${target})
  target_include_directories(${target} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  # The helpers every layer shares (src/common: "common/text.hpp"), not installed.
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_compile_features(${target} PUBLIC cxx_std_20)
  target_compile_definitions(${target} PRIVATE TRACEHOP_VERSION="${PROJECT_VERSION}")
  tracehop_set_warnings(${target})
endfunction()
