// Any <-> v1::Value. Each builtin type index has one case; anything else is an object for the
// RefTable. Reading goes through the C cells (TVMFFISeqCell, TVMFFIShapeCell, ...), so values
// made by code built against upstream's headers encode the same way.
#include "tvmffi/proto/codec.h"

#include <tvm/ffi/container/array.h>
#include <tvm/ffi/container/dict.h>
#include <tvm/ffi/container/list.h>
#include <tvm/ffi/container/map.h>
#include <tvm/ffi/container/shape.h>
#include <tvm/ffi/container/tensor.h>
#include <tvm/ffi/string.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "host_memory.h"
#include "tvmffi/proto/status.h"

namespace tvmffi::rpc {
namespace {
std::atomic<uint64_t> g_crossed[2][kNumTensorCrossings];  // [received][how]
void Crossed(bool received, TensorCrossing how) {
  g_crossed[received ? 1 : 0][static_cast<int>(how)].fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

const char* TensorCrossingName(TensorCrossing how) {
  switch (how) {
    case TensorCrossing::kInline:
      return "inline";
    case TensorCrossing::kChunked:
      return "chunked";
    case TensorCrossing::kShared:
      return "shared";
    case TensorCrossing::kStaged:
      return "staged";
    case TensorCrossing::kRemote:
      return "remote";
  }
  return "unknown";
}

uint64_t TensorsCrossed(bool received, TensorCrossing how) {
  return g_crossed[received ? 1 : 0][static_cast<int>(how)].load(std::memory_order_relaxed);
}

namespace {

namespace ffi = tvm::ffi;

std::string TypeKeyOf(int32_t type_index) {
  const TVMFFITypeInfo* info = TVMFFIGetTypeInfo(type_index);
  return std::string(info->type_key.data, info->type_key.size);
}

// Tensor memory received from the wire: 64-byte aligned host memory.
struct HostAlloc {
  void AllocData(DLTensor* t) { t->data = AllocTensorMemory(ffi::GetDataSize(*t)); }
  void FreeData(DLTensor* t) { FreeTensorMemory(t->data, ffi::GetDataSize(*t)); }
};

// Tensor memory mapped from a peer's shared region; the tensor keeps the mapping alive.
struct SharedView {
  std::shared_ptr<char> mapped;
  void AllocData(DLTensor* t) { t->data = mapped.get(); }
  void FreeData(DLTensor*) { mapped.reset(); }
};

constexpr uint64_t kMaxSharedBytes = 1ull << 48;

// Walks a strided tensor's elements in compact row-major order, calling
// visit(element's byte address, its index in that order, element bytes). TypeError for a
// sub-byte dtype, whose elements have no byte address.
template <typename Visit>
absl::Status ForEachStridedElement(const DLTensor& t, Visit visit) {
  size_t elem = static_cast<size_t>((t.dtype.bits * t.dtype.lanes + 7) / 8);
  if (elem * 8 != static_cast<size_t>(t.dtype.bits * t.dtype.lanes)) {
    return TypeError("cannot copy a strided tensor of a sub-byte dtype element by element");
  }
  char* base = static_cast<char*>(t.data) + t.byte_offset;
  std::vector<int64_t> index(static_cast<size_t>(t.ndim), 0);
  size_t n = ffi::GetDataSize(t) / elem;
  for (size_t i = 0; i < n; ++i) {
    int64_t offset = 0;
    for (int32_t d = 0; d < t.ndim; ++d) offset += index[d] * t.strides[d];
    visit(base + offset * static_cast<int64_t>(elem), i, elem);
    for (int32_t d = t.ndim - 1; d >= 0; --d) {
      if (++index[d] < t.shape[d]) break;
      index[d] = 0;
    }
  }
  return absl::OkStatus();
}

// A strided tensor's elements, gathered into compact row-major order at dst (GetDataSize(t)
// bytes).
absl::Status GatherStrided(const DLTensor& t, char* dst) {
  return ForEachStridedElement(t, [dst](const char* element, size_t i, size_t elem) {
    std::memcpy(dst + i * elem, element, elem);
  });
}

class Encoder {
 public:
  Encoder(RefTable* refs, const CodecLimits& limits) : refs_(refs), limits_(limits) {}

  absl::Status Encode(const TVMFFIAny& v, v1::Value* out, int depth) {
    if (depth > limits_.max_depth) {
      return ValueError(absl::StrCat("value nests deeper than ", limits_.max_depth, " levels"));
    }
    switch (v.type_index) {
      case kTVMFFINone:
        out->mutable_none();
        return absl::OkStatus();
      case kTVMFFIInt:
        out->set_int_value(v.v_int64);
        return absl::OkStatus();
      case kTVMFFIBool:
        out->set_bool_value(v.v_int64 != 0);
        return absl::OkStatus();
      case kTVMFFIFloat:
        out->set_float_value(v.v_float64);
        return absl::OkStatus();
      case kTVMFFIDataType: {
        v1::DataType* dt = out->mutable_dtype();
        dt->set_code(v.v_dtype.code);
        dt->set_bits(v.v_dtype.bits);
        dt->set_lanes(v.v_dtype.lanes);
        return absl::OkStatus();
      }
      case kTVMFFIDevice: {
        v1::Device* dev = out->mutable_device();
        dev->set_device_type(v.v_device.device_type);
        dev->set_device_id(v.v_device.device_id);
        return absl::OkStatus();
      }
      case kTVMFFIRawStr:
        out->set_str(v.v_c_str);
        return absl::OkStatus();
      case kTVMFFISmallStr:
      case kTVMFFIStr: {
        TVMFFIByteArray b = ffi::details::BytesCellView(&v);
        out->set_str(b.data, b.size);
        return absl::OkStatus();
      }
      case kTVMFFIByteArrayPtr: {
        const auto* b = static_cast<const TVMFFIByteArray*>(v.v_ptr);
        out->set_bytes_value(b->data, b->size);
        return absl::OkStatus();
      }
      case kTVMFFISmallBytes:
      case kTVMFFIBytes: {
        TVMFFIByteArray b = ffi::details::BytesCellView(&v);
        out->set_bytes_value(b.data, b.size);
        return absl::OkStatus();
      }
      case kTVMFFIOpaquePtr:
        return TypeError(
            "cannot send a raw pointer (void*) to another process; pass an object or a value");
      case kTVMFFIDLTensorPtr:
        return EncodeTensor(*static_cast<const DLTensor*>(v.v_ptr), nullptr, out->mutable_tensor());
      case kTVMFFIObjectRValueRef: {
        TVMFFIObject* obj = *static_cast<TVMFFIObject**>(v.v_ptr);
        if (obj == nullptr) {
          out->mutable_none();
          return absl::OkStatus();
        }
        TVMFFIAny inner;
        inner.type_index = obj->type_index;
        inner.zero_padding = 0;
        inner.v_obj = obj;
        return Encode(inner, out, depth);
      }
      case kTVMFFIShape: {
        const TVMFFIShapeCell* cell = TVMFFIShapeGetCellPtr(v.v_obj);
        v1::Shape* s = out->mutable_shape();
        s->mutable_dims()->Add(cell->data, cell->data + cell->size);
        return absl::OkStatus();
      }
      case kTVMFFITensor: {
        const DLTensor* t = TVMFFITensorGetDLTensorPtr(v.v_obj);
        if (refs_ != nullptr && refs_->KeepRemote(*t)) return EncodeRemoteTensor(v.v_obj, *t, out);
        return EncodeTensor(*t, v.v_obj, out->mutable_tensor());
      }
      case kTVMFFIArray:
        return EncodeSeq(v, out->mutable_array(), depth);
      case kTVMFFIList:
        return EncodeSeq(v, out->mutable_list(), depth);
      case kTVMFFIMap:
        return EncodeMap(v, out->mutable_map(), depth);
      case kTVMFFIDict:
        return EncodeMap(v, out->mutable_dict(), depth);
      case kTVMFFIError:
        EncodeErrorCell(v.v_obj, out->mutable_error(), depth);
        return absl::OkStatus();
      default:
        break;
    }
    if (v.type_index < kTVMFFIStaticObjectBegin) {
      return TypeError(absl::StrCat("cannot send a value of type index ", v.type_index));
    }
    if (refs_ == nullptr) {
      return TypeError(absl::StrCat("cannot send a `", TypeKeyOf(v.type_index),
                                    "` by value; it needs a session"));
    }
    ffi::ObjectRef obj = ffi::details::ObjectUnsafe::ObjectRefFromUnowned<ffi::ObjectRef>(
        reinterpret_cast<ffi::Object*>(v.v_obj));
    TVMFFI_RPC_ASSIGN_OR_RETURN(*out->mutable_ref(), refs_->ExportObject(obj));
    return absl::OkStatus();
  }

 private:
  absl::Status EncodeSeq(const TVMFFIAny& v, v1::ValueList* out, int depth) {
    // Array and List share the cell: elements are TVMFFIAny values at data.
    const auto* cell = reinterpret_cast<const TVMFFISeqCell*>(
        reinterpret_cast<const char*>(v.v_obj) + sizeof(TVMFFIObject));
    const auto* elems = static_cast<const TVMFFIAny*>(cell->data);
    for (int64_t i = 0; i < cell->size; ++i) {
      TVMFFI_RPC_RETURN_IF_ERROR(Encode(elems[i], out->add_values(), depth + 1));
    }
    return absl::OkStatus();
  }

  absl::Status EncodeMap(const TVMFFIAny& v, v1::ValueMap* out, int depth) {
    const auto* map = reinterpret_cast<const ffi::MapBaseObj*>(v.v_obj);
    for (const auto& kv : *map) {
      TVMFFI_RPC_RETURN_IF_ERROR(Encode(*ffi::details::AnyUnsafe::TVMFFIAnyPtrFromAny(kv.first),
                                        out->add_keys(), depth + 1));
      TVMFFI_RPC_RETURN_IF_ERROR(Encode(*ffi::details::AnyUnsafe::TVMFFIAnyPtrFromAny(kv.second),
                                        out->add_values(), depth + 1));
    }
    return absl::OkStatus();
  }

  void EncodeErrorCell(TVMFFIObject* obj, v1::Error* out, int depth) {
    const TVMFFIErrorCell* cell = TVMFFIErrorGetCellPtr(obj);
    out->set_kind(cell->kind.data, cell->kind.size);
    out->set_message(cell->message.data, cell->message.size);
    out->set_backtrace(cell->backtrace.data, cell->backtrace.size);
    if (cell->cause_chain != nullptr && depth < limits_.max_depth) {
      EncodeErrorCell(static_cast<TVMFFIObject*>(cell->cause_chain), out->mutable_cause(),
                      depth + 1);
    }
  }

  // A tensor that stays here: a reference, with its dtype, shape and device.
  absl::Status EncodeRemoteTensor(TVMFFIObject* obj, const DLTensor& t, v1::Value* out) {
    ffi::ObjectRef ref = ffi::details::ObjectUnsafe::ObjectRefFromUnowned<ffi::ObjectRef>(
        reinterpret_cast<ffi::Object*>(obj));
    TVMFFI_RPC_ASSIGN_OR_RETURN(*out->mutable_ref(), refs_->ExportObject(ref));
    v1::Tensor* meta = out->mutable_ref()->mutable_tensor();
    meta->mutable_dtype()->set_code(t.dtype.code);
    meta->mutable_dtype()->set_bits(t.dtype.bits);
    meta->mutable_dtype()->set_lanes(t.dtype.lanes);
    meta->mutable_shape()->Add(t.shape, t.shape + t.ndim);
    meta->mutable_device()->set_device_type(t.device.device_type);
    meta->mutable_device()->set_device_id(t.device.device_id);
    if (out->ref().owner() == v1::RemoteRef::SENDER)
      refs_->DescribeRemoteTensor(t, out->mutable_ref());
    Crossed(false, TensorCrossing::kRemote);
    return absl::OkStatus();
  }

  absl::Status EncodeTensor(const DLTensor& t, TVMFFIObject* owner, v1::Tensor* out) {
    if (t.device.device_type != kDLCPU && t.device.device_type != kDLCUDAHost &&
        t.device.device_type != kDLROCMHost) {
      // Its bytes go by way of a host copy the device layer makes, where there is one.
      absl::StatusOr<ffi::Tensor> staged =
          refs_ != nullptr ? refs_->StageToHost(t) : absl::UnimplementedError("no session");
      if (staged.ok()) {
        return EncodeTensor(*staged->GetDLTensorPtr(),
                            reinterpret_cast<TVMFFIObject*>(
                                ffi::details::ObjectUnsafe::RawObjectPtrFromObjectRef(*staged)),
                            out);
      }
      if (!absl::IsUnimplemented(staged.status())) return staged.status();
      return TypeError(absl::StrCat("cannot send a tensor on device type ",
                                    static_cast<int>(t.device.device_type),
                                    " by value; copy it to the CPU first"));
    }
    v1::DataType* dt = out->mutable_dtype();
    dt->set_code(t.dtype.code);
    dt->set_bits(t.dtype.bits);
    dt->set_lanes(t.dtype.lanes);
    out->mutable_shape()->Add(t.shape, t.shape + t.ndim);
    out->mutable_device()->set_device_type(t.device.device_type);
    out->mutable_device()->set_device_id(t.device.device_id);
    size_t bytes = ffi::GetDataSize(t);
    const char* base = static_cast<const char*>(t.data) + t.byte_offset;
    bool contiguous = ffi::IsContiguous(t);
    v1::SharedBytes shared;  // by reference: no bytes to limit
    if (bytes != 0 && refs_ != nullptr && contiguous &&
        refs_->ShareTensorBytes(base, bytes, &shared)) {
      *out->mutable_shared() = std::move(shared);
      Crossed(false, TensorCrossing::kShared);
      return absl::OkStatus();
    }
    if (bytes > limits_.max_tensor_bytes) {
      return WithErrorKind(
          absl::ResourceExhaustedError(absl::StrCat(
              "tensor of ", bytes, " bytes exceeds the limit of ", limits_.max_tensor_bytes)),
          kind::kValueError);
    }
    if (bytes != 0 && refs_ != nullptr && contiguous) {
      if (refs_->StageTensorBytes(base, bytes, &shared)) {
        *out->mutable_shared() = std::move(shared);
        Crossed(false, TensorCrossing::kStaged);
        return absl::OkStatus();
      }
      if (std::optional<uint64_t> stream = refs_->DeferTensorBytes(base, bytes, owner)) {
        out->set_chunked_bytes(bytes);
        out->set_stream_id(*stream);
        Crossed(false, TensorCrossing::kChunked);
        return absl::OkStatus();
      }
    }
    Crossed(false, TensorCrossing::kInline);
    std::string* data = out->mutable_data();
    data->resize(bytes);
    if (bytes == 0) return absl::OkStatus();
    if (ffi::IsContiguous(t)) {
      std::memcpy(data->data(), base, bytes);
      return absl::OkStatus();
    }
    return GatherStrided(t, data->data());
  }

  RefTable* refs_;
  const CodecLimits& limits_;
};

class Decoder {
 public:
  Decoder(RefTable* refs, const CodecLimits& limits) : refs_(refs), limits_(limits) {}

  absl::StatusOr<ffi::Any> Decode(const v1::Value& v, int depth) {
    if (depth > limits_.max_depth) {
      return ValueError(absl::StrCat("value nests deeper than ", limits_.max_depth, " levels"));
    }
    switch (v.kind_case()) {
      case v1::Value::kNone:
        return ffi::Any();
      case v1::Value::kIntValue:
        return ffi::Any(v.int_value());
      case v1::Value::kBoolValue:
        return ffi::Any(v.bool_value());
      case v1::Value::kFloatValue:
        return ffi::Any(v.float_value());
      case v1::Value::kDtype: {
        const v1::DataType& dt = v.dtype();
        if (dt.code() > 255 || dt.bits() > 255 || dt.lanes() > 65535) {
          return ValueError("dtype field out of range");
        }
        return ffi::Any(DLDataType{static_cast<uint8_t>(dt.code()), static_cast<uint8_t>(dt.bits()),
                                   static_cast<uint16_t>(dt.lanes())});
      }
      case v1::Value::kDevice:
        return ffi::Any(
            DLDevice{static_cast<DLDeviceType>(v.device().device_type()), v.device().device_id()});
      case v1::Value::kStr:
        return ffi::Any(ffi::String(v.str()));
      case v1::Value::kBytesValue:
        return ffi::Any(ffi::Bytes(v.bytes_value()));
      case v1::Value::kShape: {
        if (static_cast<uint64_t>(v.shape().dims_size()) > limits_.max_elements) {
          return ValueError("shape has too many dimensions");
        }
        return ffi::Any(ffi::Shape(v.shape().dims().begin(), v.shape().dims().end()));
      }
      case v1::Value::kTensor:
        Crossed(true, !v.tensor().has_shared()
                          ? (v.tensor().chunked_bytes() != 0 ? TensorCrossing::kChunked
                                                             : TensorCrossing::kInline)
                      : v.tensor().shared().lease() == 0 ? TensorCrossing::kShared
                                                         : TensorCrossing::kStaged);
        return DecodeTensor(v.tensor());
      case v1::Value::kArray:
        return DecodeSeq<ffi::Array<ffi::Any>>(v.array(), depth);
      case v1::Value::kList:
        return DecodeSeq<ffi::List<ffi::Any>>(v.list(), depth);
      case v1::Value::kMap:
        return DecodeMap<ffi::Map<ffi::Any, ffi::Any>>(v.map(), depth);
      case v1::Value::kDict:
        return DecodeMap<ffi::Dict<ffi::Any, ffi::Any>>(v.dict(), depth);
      case v1::Value::kError:
        return ffi::Any(DecodeErrorAt(v.error(), "", depth));
      case v1::Value::kRef:
        if (refs_ == nullptr)
          return TypeError("cannot receive an object reference without a session");
        if (v.ref().has_tensor()) Crossed(true, TensorCrossing::kRemote);
        return refs_->ImportRef(v.ref());
      case v1::Value::KIND_NOT_SET:
        break;
    }
    return ValueError("value has no kind set (empty or from a newer protocol)");
  }

  ffi::Error DecodeErrorAt(const v1::Error& e, std::string_view peer, int depth) {
    std::string backtrace = e.backtrace();
    if (!peer.empty()) {
      if (!backtrace.empty() && backtrace.back() != '\n') backtrace.push_back('\n');
      absl::StrAppend(&backtrace, "  File \"<remote>\", line 0, in [remote call to ",
                      absl::string_view(peer.data(), peer.size()), "]\n");
    }
    std::string kind = e.kind().empty() ? kind::kRPCError : e.kind();
    if (e.has_cause() && depth < limits_.max_depth) {
      return ffi::Error(kind, e.message(), backtrace, DecodeErrorAt(e.cause(), "", depth + 1),
                        std::nullopt);
    }
    return ffi::Error(kind, e.message(), backtrace);
  }

 private:
  // SeqRef: Array or List.
  template <typename SeqRef>
  absl::StatusOr<ffi::Any> DecodeSeq(const v1::ValueList& list, int depth) {
    if (static_cast<uint64_t>(list.values_size()) > limits_.max_elements) {
      return ValueError("array has too many elements");
    }
    SeqRef out;
    out.reserve(list.values_size());
    for (const v1::Value& item : list.values()) {
      TVMFFI_RPC_ASSIGN_OR_RETURN(ffi::Any elem, Decode(item, depth + 1));
      out.push_back(std::move(elem));
    }
    return ffi::Any(out);
  }

  // MapRef: Map or Dict.
  template <typename MapRef>
  absl::StatusOr<ffi::Any> DecodeMap(const v1::ValueMap& map, int depth) {
    if (map.keys_size() != map.values_size()) {
      return ValueError("map has a different number of keys and values");
    }
    uint64_t entries = static_cast<uint64_t>(map.keys_size());
    map_entries_ += entries;
    if (entries > limits_.max_map_entries || map_entries_ > limits_.max_total_map_entries) {
      return ValueError(absl::StrCat(
          "map of ", entries, " entries (", map_entries_, " in this value) is over the limit of ",
          limits_.max_map_entries, " per map and ", limits_.max_total_map_entries, " per value"));
    }
    MapRef out;
    for (int i = 0; i < map.keys_size(); ++i) {
      TVMFFI_RPC_ASSIGN_OR_RETURN(ffi::Any key, Decode(map.keys(i), depth + 1));
      TVMFFI_RPC_ASSIGN_OR_RETURN(ffi::Any value, Decode(map.values(i), depth + 1));
      out.Set(key, value);
    }
    return ffi::Any(out);
  }

  absl::StatusOr<ffi::Any> DecodeTensor(const v1::Tensor& t) {
    const v1::DataType& dt = t.dtype();
    if (dt.code() > 255 || dt.bits() == 0 || dt.bits() > 255 || dt.lanes() == 0 ||
        dt.lanes() > 65535) {
      return ValueError("tensor dtype out of range");
    }
    DLDataType dtype{static_cast<uint8_t>(dt.code()), static_cast<uint8_t>(dt.bits()),
                     static_cast<uint16_t>(dt.lanes())};
    if (t.shape_size() > 64) return ValueError("tensor has more than 64 dimensions");
    // Shared bytes are not copied: the region they lie in is their only bound. Staged ones
    // (with a lease) are a tensor by value.
    const bool by_reference = t.has_shared() && t.shared().lease() == 0;
    const uint64_t limit = by_reference ? kMaxSharedBytes : limits_.max_tensor_bytes;
    // Size in bits without overflow: every extent is checked against the limit on the way.
    // An empty tensor's other extents still make its strides: their product must fit int64.
    unsigned __int128 numel = 1, span = 1;
    for (int64_t d : t.shape()) {
      if (d < 0) return ValueError("tensor has a negative extent");
      if (d != 0) span *= static_cast<uint64_t>(d);
      if (span > static_cast<unsigned __int128>(INT64_MAX)) {
        return ValueError("tensor extents overflow 64-bit strides");
      }
      numel *= static_cast<uint64_t>(d);
      if (numel > (static_cast<unsigned __int128>(limit) << 3)) {
        return ValueError("tensor is larger than the limit");
      }
    }
    unsigned __int128 bits = numel * dtype.bits * dtype.lanes;
    uint64_t bytes = static_cast<uint64_t>((bits + 7) / 8);
    if (bytes > limit) return ValueError("tensor is larger than the limit");
    std::vector<int64_t> shape(t.shape().begin(), t.shape().end());
    ffi::ShapeView shape_view(shape.data(), shape.size());
    if (t.has_shared()) {
      if (t.chunked_bytes() != 0 || !t.data().empty()) {
        return ValueError("a shared tensor cannot carry bytes too");
      }
      if (refs_ == nullptr) return TypeError("shared-memory tensors need a session");
      if (!by_reference) {
        TVMFFI_RPC_ASSIGN_OR_RETURN(std::shared_ptr<char> adopted,
                                    refs_->AdoptStagedBytes(t.shared(), bytes));
        if (adopted != nullptr) {
          return ffi::Any(ffi::Tensor::FromNDAlloc(SharedView{std::move(adopted)}, shape_view,
                                                   dtype, DLDevice{kDLCPU, 0}));
        }
        ffi::Tensor tensor =
            ffi::Tensor::FromNDAlloc(HostAlloc{}, shape_view, dtype, DLDevice{kDLCPU, 0});
        TVMFFI_RPC_RETURN_IF_ERROR(
            refs_->ReadStagedBytes(t.shared(), static_cast<char*>(tensor.data_ptr()), bytes));
        return ffi::Any(tensor);
      }
      TVMFFI_RPC_ASSIGN_OR_RETURN(std::shared_ptr<char> mapped,
                                  refs_->MapSharedBytes(t.shared(), bytes));
      return ffi::Any(ffi::Tensor::FromNDAlloc(SharedView{std::move(mapped)}, shape_view, dtype,
                                               DLDevice{kDLCPU, 0}));
    }
    bool chunked = t.chunked_bytes() != 0;
    if (chunked ? t.chunked_bytes() != bytes || !t.data().empty() : t.data().size() != bytes) {
      return ValueError(absl::StrCat("tensor data has ",
                                     chunked ? t.chunked_bytes() : t.data().size(),
                                     " bytes, expected ", bytes));
    }
    if (chunked && refs_ == nullptr) return TypeError("chunked tensors need a session");
    ffi::Tensor tensor =
        ffi::Tensor::FromNDAlloc(HostAlloc{}, shape_view, dtype, DLDevice{kDLCPU, 0});
    if (chunked) {
      TVMFFI_RPC_RETURN_IF_ERROR(
          refs_->ReadTensorBytes(t.stream_id(), static_cast<char*>(tensor.data_ptr()), bytes));
    } else if (bytes != 0) {
      std::memcpy(tensor.data_ptr(), t.data().data(), bytes);
    }
    return ffi::Any(tensor);
  }

  RefTable* refs_;
  const CodecLimits& limits_;
  uint64_t map_entries_ = 0;  // in all maps decoded so far (max_total_map_entries)
};

}  // namespace

absl::Status EncodeValue(const tvm::ffi::AnyView& value, RefTable* refs, v1::Value* out,
                         const CodecLimits& limits) {
  Encoder encoder(refs, limits);
  return encoder.Encode(value.CopyToTVMFFIAny(), out, 0);
}

absl::StatusOr<tvm::ffi::Any> DecodeValue(const v1::Value& value, RefTable* refs,
                                          const CodecLimits& limits) {
  Decoder decoder(refs, limits);
  try {
    return decoder.Decode(value, 0);
  } catch (const tvm::ffi::Error& e) {
    return WithErrorKind(absl::InvalidArgumentError(e.message()), e.kind());
  } catch (const std::bad_alloc&) {
    return MemoryError("out of memory decoding a value");
  }
}

void EncodeError(const tvm::ffi::Error& error, v1::Error* out) {
  CodecLimits limits;
  Encoder encoder(nullptr, limits);
  v1::Value tmp;
  // An error object always encodes (its cell is plain bytes).
  (void)encoder.Encode(tvm::ffi::AnyView(error).CopyToTVMFFIAny(), &tmp, 0);
  *out = std::move(*tmp.mutable_error());
}

tvm::ffi::Error DecodeError(const v1::Error& error, std::string_view peer) {
  CodecLimits limits;
  Decoder decoder(nullptr, limits);
  return decoder.DecodeErrorAt(error, peer, 0);
}

ffi::Tensor NewHostTensor(ffi::ShapeView shape, DLDataType dtype) {
  return ffi::Tensor::FromNDAlloc(HostAlloc{}, shape, dtype, DLDevice{kDLCPU, 0});
}

std::string TensorTypeText(DLDataType dtype, ffi::ShapeView shape) {
  std::string out = std::string(ffi::DLDataTypeToString(dtype)) + "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

absl::StatusOr<ffi::Tensor> CompactHostTensor(const DLTensor& t) {
  ffi::Tensor out = NewHostTensor(ffi::ShapeView(t.shape, static_cast<size_t>(t.ndim)), t.dtype);
  if (ffi::IsContiguous(t)) {
    if (out.GetDataSize() != 0) {
      std::memcpy(out.data_ptr(), static_cast<const char*>(t.data) + t.byte_offset,
                  out.GetDataSize());
    }
    return out;
  }
  TVMFFI_RPC_RETURN_IF_ERROR(GatherStrided(t, static_cast<char*>(out.data_ptr())));
  return out;
}

absl::Status CopyCompactIntoHostTensor(const void* compact, const DLTensor& t) {
  const char* src = static_cast<const char*>(compact);
  if (ffi::IsContiguous(t)) {
    size_t bytes = ffi::GetDataSize(t);
    if (bytes != 0) std::memcpy(static_cast<char*>(t.data) + t.byte_offset, src, bytes);
    return absl::OkStatus();
  }
  return ForEachStridedElement(t, [src](char* element, size_t i, size_t elem) {
    std::memcpy(element, src + i * elem, elem);
  });
}

}  // namespace tvmffi::rpc
