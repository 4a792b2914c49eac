// Entry points that land with the second runtime issue (#4: tensors, modules). Until then each
// fails cleanly with a typed error instead of crashing.
#include <tvm/ffi/c_api.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/extra/c_env_api.h>

namespace {
int NotImplemented(const char* name) {
  const char* parts[] = {name, " is not implemented yet in tvmffi-rpc's runtime (issue #4)"};
  TVMFFIErrorSetRaisedFromCStrParts("NotImplementedError", parts, 2);
  return -1;
}
}  // namespace

int TVMFFITensorFromDLPack(DLManagedTensor*, int32_t, int32_t, TVMFFIObjectHandle*) {
  return NotImplemented("TVMFFITensorFromDLPack");
}
int TVMFFITensorToDLPack(TVMFFIObjectHandle, DLManagedTensor**) {
  return NotImplemented("TVMFFITensorToDLPack");
}
int TVMFFITensorFromDLPackVersioned(DLManagedTensorVersioned*, int32_t, int32_t,
                                    TVMFFIObjectHandle*) {
  return NotImplemented("TVMFFITensorFromDLPackVersioned");
}
int TVMFFITensorToDLPackVersioned(TVMFFIObjectHandle, DLManagedTensorVersioned**) {
  return NotImplemented("TVMFFITensorToDLPackVersioned");
}
int TVMFFITensorCreateUnsafeView(TVMFFIObjectHandle, const DLTensor*, TVMFFIObjectHandle*) {
  return NotImplemented("TVMFFITensorCreateUnsafeView");
}
int TVMFFIEnvTensorAlloc(DLTensor*, TVMFFIObjectHandle*) {
  return NotImplemented("TVMFFIEnvTensorAlloc");
}
int TVMFFIEnvModLookupFromImports(TVMFFIObjectHandle, const char*, TVMFFIObjectHandle*) {
  return NotImplemented("TVMFFIEnvModLookupFromImports");
}
int TVMFFIEnvModRegisterContextSymbol(const char*, void*) {
  return NotImplemented("TVMFFIEnvModRegisterContextSymbol");
}
int TVMFFIEnvModRegisterSystemLibSymbol(const char*, void*) {
  return NotImplemented("TVMFFIEnvModRegisterSystemLibSymbol");
}
