# Installs the build into a prefix, then configures, builds and runs tests/install against it
# twice: with the otlp component, and without it while Protobuf and gRPC cannot be found (the
# package must not look for them then).
# -D BUILD_DIR, SOURCE_DIR, WORK_DIR, CXX_FLAGS
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(rc)
  message(FATAL_ERROR "install failed")
endif()
foreach(variant otlp core)
  if(variant STREQUAL "otlp")
    set(flags -DWITH_OTLP=ON)
  else()
    set(flags -DWITH_OTLP=OFF -DCMAKE_DISABLE_FIND_PACKAGE_Protobuf=ON -DCMAKE_DISABLE_FIND_PACKAGE_gRPC=ON)
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/build-${variant} -G Ninja
                          -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}" ${flags}
                  RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "configuring the ${variant} consumer against the installed package failed")
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/build-${variant} RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "building the ${variant} consumer failed")
  endif()
  execute_process(COMMAND ${WORK_DIR}/build-${variant}/consumer RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "the ${variant} consumer failed")
  endif()
endforeach()
