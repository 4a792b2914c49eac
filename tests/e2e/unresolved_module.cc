// A module that needs a symbol nobody provides: loading it must fail and name the symbol, not
// succeed and end the server at the first call ("symbol lookup error" under lazy binding).
#include <tvm/ffi/function.h>

extern "C" int tvmffi_test_symbol_nobody_defines(int x);

static int CallsTheMissingSymbol(int x) { return tvmffi_test_symbol_nobody_defines(x); }

TVM_FFI_DLL_EXPORT_TYPED_FUNC(calls_missing, CallsTheMissingSymbol);
