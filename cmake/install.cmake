# `cmake --install` lays out the runtime, the client libraries, their headers, the daemon and the
# command, plus a package config: other projects use find_package(tvmffi_rpc) and link
# tvmffi_rpc::tvmffi_client (static) or tvmffi_rpc::tvmffi_client_shared (libtvmffi_client.so),
# or tvmffi_rpc::tvm_ffi for the runtime alone.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS tvm_ffi tvmffi_proto_messages tvmffi_proto tvmffi_proto_grpc tvmffi_device tvmffi_session
                tvmffi_grpc tvmffi_client tvmffi_client_shared tvmffi_server
        EXPORT tvmffi_rpcTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# The installed daemon and command find the installed libtvm_ffi.so next to them, without
# LD_LIBRARY_PATH.
set_target_properties(tvmffi-server tvmffi PROPERTIES
  INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}")
install(TARGETS tvmffi-server tvmffi RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
foreach(dir runtime/include proto/include device/include session/include grpc/include client/include
            server/include)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endforeach()
install(DIRECTORY ${PROJECT_BINARY_DIR}/proto/gen/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
# The wire schema itself, next to its generated headers (as protobuf installs its own .proto
# files), for clients in other languages.
install(FILES ${PROJECT_SOURCE_DIR}/proto/tvmffi/rpc/v1/ffi.proto
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tvmffi/rpc/v1)
install(EXPORT tvmffi_rpcTargets NAMESPACE tvmffi_rpc::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tvmffi_rpc)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/tvmffi_rpcConfig.cmake.in
  ${PROJECT_BINARY_DIR}/tvmffi_rpcConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tvmffi_rpc)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/tvmffi_rpcConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/tvmffi_rpcConfig.cmake
              ${PROJECT_BINARY_DIR}/tvmffi_rpcConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tvmffi_rpc)
