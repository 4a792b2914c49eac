/*
 * The C examples of the user's document (func_module_doc.txt), as written except where the
 * document disagrees with the real ABI:
 *  - LookupAndCall: TVMFFIFunctionGetGlobal takes a `const TVMFFIByteArray*` name, not a
 *    `const char*`; TVMFFIFunctionCall takes non-const `TVMFFIAny* args` (the ABI never writes
 *    them), so the example's const pointer is cast.
 *  - PrintError prints to a caller-chosen stream here so the test can read it.
 */
#include <stdio.h>
#include <string.h>
#include <tvm/ffi/c_api.h>

FILE* g_doc_error_stream = NULL;

void PrintError(TVMFFIObject* err) {
  FILE* out = g_doc_error_stream != NULL ? g_doc_error_stream : stderr;
  TVMFFIErrorCell* cell = (TVMFFIErrorCell*)((char*)err + sizeof(TVMFFIObject));
  fprintf(out, "%.*s: %.*s\n", (int)cell->kind.size, cell->kind.data, (int)cell->message.size,
          cell->message.data);
  if (cell->backtrace.size) {
    fprintf(out, "Backtrace:\n%.*s\n", (int)cell->backtrace.size, cell->backtrace.data);
  }
}

void HandleReturnCode(int rc) {
  TVMFFIObject* err = NULL;
  if (rc == 0) {
    // Success
  } else if (rc == -1) {
    // Move the raised error from TLS (clears TLS slot)
    TVMFFIErrorMoveFromRaised((TVMFFIObjectHandle*)&err);  // now `err` owns the error object
    if (err != NULL) {
      PrintError(err);          // print the error
      TVMFFIObjectDecRef(err);  // Release the error object
    }
  } else if (rc == -2) {
    // Frontend (e.g., Python) already has an exception set.
  }
}

int __tvm_ffi_my_kernel(void* handle, const TVMFFIAny* args, int32_t num_args, TVMFFIAny* result) {
  (void)handle;
  (void)args;
  // Validate inputs
  if (num_args < 2) {
    TVMFFIErrorSetRaisedFromCStr("ValueError", "Expected at least 2 arguments");
    return -1;
  }
  // ... kernel implementation ...
  result->type_index = kTVMFFIInt;
  result->zero_padding = 0;
  result->v_int64 = num_args;
  return 0;
}

// For chains of generated calls, propagate return codes: TLS carries the details.
int outer_function(const TVMFFIAny* args, int32_t num_args, TVMFFIAny* result) {
  int err_code = 0;
  err_code = __tvm_ffi_my_kernel(NULL, args, num_args, result);
  if (err_code != 0) goto RAII;  // Propagate error; TLS has the details
RAII:
  // clean up owned resources
  return err_code;
}

int LookupAndCall(const char* global_function_name, const TVMFFIAny* args, int num_args,
                  TVMFFIAny* result) {
  TVMFFIObject* func = NULL;
  int err_code;
  TVMFFIByteArray name = {global_function_name, strlen(global_function_name)};
  if ((err_code = TVMFFIFunctionGetGlobal(&name, (TVMFFIObjectHandle*)&func)) != 0) goto RAII;
  if (func == NULL) {
    TVMFFIErrorSetRaisedFromCStr("ValueError", "global function not found");
    err_code = -1;
    goto RAII;
  }
  if ((err_code = TVMFFIFunctionCall(func, (TVMFFIAny*)args, num_args, result)) != 0) goto RAII;
RAII:  // clean up owned resources
  if (func != NULL) TVMFFIObjectDecRef(func);
  return err_code;
}
