// TVM_FFI_DLL_EXPORT_TYPED_FUNC with TVM_FFI_DLL_EXPORT_INCLUDE_METADATA=1: the function, its
// `__tvm_ffi__metadata_<name>` and `__tvm_ffi__doc_<name>` symbols.
#define TVM_FFI_DLL_EXPORT_INCLUDE_METADATA 1
#include <gtest/gtest.h>
#include <tvm/ffi/tvm_ffi.h>

#include <string>

static double Scale(double x, int factor) { return x * factor; }

TVM_FFI_DLL_EXPORT_TYPED_FUNC(scale, Scale);
TVM_FFI_DLL_EXPORT_TYPED_FUNC_DOC(scale, "Multiply x by an integer factor");

namespace {
using namespace tvm::ffi;

TEST(ExportMetadata, FunctionMetadataAndDoc) {
  Function f = Function::FromExternC(nullptr, __tvm_ffi_scale, nullptr);
  EXPECT_DOUBLE_EQ(f(1.5, 4).cast<double>(), 6.0);
  Function meta = Function::FromExternC(nullptr, __tvm_ffi__metadata_scale, nullptr);
  std::string json = meta().cast<std::string>();
  EXPECT_EQ(json,
            "{\"type_schema\":\"{\\\"type\\\":\\\"ffi.Function\\\",\\\"args\\\":[{\\\"type\\\":"
            "\\\"float\\\"},{\\\"type\\\":\\\"float\\\"},{\\\"type\\\":\\\"int\\\"}]}\"}");
  Function doc = Function::FromExternC(nullptr, __tvm_ffi__doc_scale, nullptr);
  EXPECT_EQ(doc().cast<std::string>(), "Multiply x by an integer factor");
}
}  // namespace
