// Whether an address a module hands out as a function really is code. A `__tvm_ffi_<name>`
// symbol may be data (the loader's own `__tvm_ffi__library_ctx`, a const table): calling it
// would jump into data, so module lookups only return addresses that pass this check.
#ifndef TVMFFI_RUNTIME_SRC_MODULE_CODE_ADDRESS_H_
#define TVMFFI_RUNTIME_SRC_MODULE_CODE_ADDRESS_H_

namespace tvm {
namespace ffi {
namespace internal {

/*!
 * \brief True when addr is the start of a function symbol (ELF type FUNC or IFUNC) or, where no
 *        symbol starts there, lies in an executable segment of a loaded object.
 */
bool IsCodeAddress(const void* addr);

}  // namespace internal
}  // namespace ffi
}  // namespace tvm
#endif  // TVMFFI_RUNTIME_SRC_MODULE_CODE_ADDRESS_H_
