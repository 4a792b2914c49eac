# tvmffi_rpc_warnings(<target>): the project's warning policy, applied to our own targets only.
function(tvmffi_rpc_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  if(TVMFFI_RPC_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
