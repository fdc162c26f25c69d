include(CMakePackageConfigHelpers)

install(DIRECTORY include/tracehop DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS tracehop_trace tracehop_metrics tracehop_http tracehop_instrument tracehop_prometheus tracehop_otlp_json
        EXPORT tracehopTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# The OTLP exporters, a component of their own: only `find_package(tracehop COMPONENTS otlp)`
# looks for Protobuf and gRPC.
install(TARGETS tracehop_otlp EXPORT tracehopOtlpTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(TRACEHOP_BUILD_CLI)
  install(TARGETS tracehop RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(EXPORT tracehopTargets NAMESPACE tracehop:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tracehop)
install(EXPORT tracehopOtlpTargets NAMESPACE tracehop:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tracehop)

configure_package_config_file(cmake/tracehopConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/tracehopConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tracehop)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/tracehopConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/tracehopConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/tracehopConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tracehop)
