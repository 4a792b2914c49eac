// The codec: every value kind round-trips; bad values and malformed wire data are typed errors.
#include "tvmffi/proto/codec.h"
#include "testing/host_tensor.h"

#include <gtest/gtest.h>
#include <tvm/ffi/container/dict.h>
#include <tvm/ffi/container/list.h>
#include <tvm/ffi/container/tensor.h>
#include <tvm/ffi/tvm_ffi.h>

#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "tvmffi/proto/status.h"

namespace tvmffi::rpc {
namespace {
namespace ffi = tvm::ffi;

// Keeps exported objects in a vector; handle = index.
class VectorRefTable : public RefTable {
 public:
  absl::StatusOr<v1::RemoteRef> ExportObject(const ffi::ObjectRef& obj) override {
    objects.push_back(obj);
    v1::RemoteRef ref;
    ref.set_owner(v1::RemoteRef::SENDER);
    ref.set_handle(objects.size() - 1);
    ref.set_type_key(obj->GetTypeKey());
    return ref;
  }
  absl::StatusOr<ffi::Any> ImportRef(const v1::RemoteRef& ref) override {
    if (ref.handle() >= objects.size()) return ValueError("unknown handle");
    return ffi::Any(objects[ref.handle()]);
  }
  std::vector<ffi::ObjectRef> objects;
};

ffi::Any RoundTrip(const ffi::Any& value, RefTable* refs = nullptr) {
  v1::Value wire;
  absl::Status st = EncodeValue(value, refs, &wire);
  EXPECT_TRUE(st.ok()) << st;
  std::string bytes = wire.SerializeAsString();
  v1::Value parsed;
  EXPECT_TRUE(parsed.ParseFromString(bytes));
  absl::StatusOr<ffi::Any> out = DecodeValue(parsed, refs);
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? *out : ffi::Any();
}

TEST(Codec, PodValues) {
  EXPECT_TRUE(RoundTrip(ffi::Any()) == nullptr);
  EXPECT_EQ(RoundTrip(ffi::Any(-41)).cast<int64_t>(), -41);
  ffi::Any b = RoundTrip(ffi::Any(true));
  EXPECT_EQ(b.type_index(), kTVMFFIBool);
  EXPECT_DOUBLE_EQ(RoundTrip(ffi::Any(2.5)).cast<double>(), 2.5);
  DLDataType dt = RoundTrip(ffi::Any(DLDataType{kDLBfloat, 16, 4})).cast<DLDataType>();
  EXPECT_EQ(dt.code, kDLBfloat);
  EXPECT_EQ(dt.lanes, 4);
  DLDevice dev = RoundTrip(ffi::Any(DLDevice{kDLCUDA, 3})).cast<DLDevice>();
  EXPECT_EQ(dev.device_type, kDLCUDA);
  EXPECT_EQ(dev.device_id, 3);
}

TEST(Codec, StringsAndBytesKeepEveryByte) {
  static const char kRaw[] = "a\0b\xff\xfe long enough to be a heap string";
  std::string raw(kRaw, sizeof(kRaw) - 1);
  EXPECT_EQ(RoundTrip(ffi::Any(ffi::String(raw))).cast<std::string>(), raw);
  ffi::Any bytes = RoundTrip(ffi::Any(ffi::Bytes(raw)));
  EXPECT_EQ(bytes.type_index(), kTVMFFIBytes);
  EXPECT_EQ(std::string(bytes.cast<ffi::Bytes>()), raw);
  EXPECT_EQ(RoundTrip(ffi::Any(ffi::String("tiny"))).cast<std::string>(), "tiny");
}

TEST(Codec, Containers) {
  ffi::Array<ffi::Any> inner{ffi::Any(1), ffi::Any(ffi::String("x"))};
  ffi::Map<ffi::Any, ffi::Any> map{{ffi::Any(ffi::String("k")), ffi::Any(inner)},
                                   {ffi::Any(7), ffi::Any(ffi::Shape({2, 3}))}};
  ffi::Any back = RoundTrip(ffi::Any(map));
  auto m = back.cast<ffi::Map<ffi::Any, ffi::Any>>();
  EXPECT_EQ(m.size(), 2u);
  auto arr = m.at(ffi::Any(ffi::String("k"))).cast<ffi::Array<ffi::Any>>();
  EXPECT_EQ(arr[0].cast<int>(), 1);
  EXPECT_EQ(arr[1].cast<std::string>(), "x");
  EXPECT_EQ(m.at(ffi::Any(7)).cast<ffi::Shape>().Product(), 6);
}

TEST(Codec, ErrorsWithCauseChain) {
  ffi::Error cause("KeyError", "no key", "  File \"a.cc\", line 1, in f\n");
  ffi::Error err("RuntimeError", "lookup failed", "  File \"b.cc\", line 2, in g\n", cause,
                 std::nullopt);
  v1::Error wire;
  EncodeError(err, &wire);
  ffi::Error back = DecodeError(wire, "server@127.0.0.1:1");
  EXPECT_EQ(back.kind(), "RuntimeError");
  EXPECT_EQ(back.message(), "lookup failed");
  EXPECT_EQ(back.backtrace().rfind("  File \"b.cc\", line 2, in g\n", 0), 0u);
  EXPECT_NE(back.backtrace().find("server@127.0.0.1:1"), std::string::npos);
  ASSERT_TRUE(back.cause_chain().has_value());
  EXPECT_EQ(back.cause_chain()->kind(), "KeyError");
  // An error is also a value.
  ffi::Any as_value = RoundTrip(ffi::Any(err));
  EXPECT_EQ(as_value.cast<ffi::Error>().message(), "lookup failed");
}

TEST(Codec, TensorsContiguousStridedAndEmpty) {
  ffi::Tensor t = testing::HostTensor(ffi::Shape({2, 3}), DLDataType{kDLInt, 32, 1});
  auto* data = static_cast<int32_t*>(t.data_ptr());
  for (int i = 0; i < 6; ++i) data[i] = i;
  ffi::Tensor back = RoundTrip(ffi::Any(t)).cast<ffi::Tensor>();
  EXPECT_EQ(back.shape()[1], 3);
  EXPECT_EQ(static_cast<int32_t*>(back.data_ptr())[5], 5);
  EXPECT_NE(back.data_ptr(), t.data_ptr());
  // The transpose: sent compact in row-major order of the view.
  int64_t shape[] = {3, 2};
  int64_t strides[] = {1, 3};
  ffi::Tensor tr = t.as_strided(ffi::ShapeView(shape, 2), ffi::ShapeView(strides, 2));
  ffi::Tensor trb = RoundTrip(ffi::Any(tr)).cast<ffi::Tensor>();
  auto* tdata = static_cast<int32_t*>(trb.data_ptr());
  EXPECT_EQ(tdata[0], 0);
  EXPECT_EQ(tdata[1], 3);
  EXPECT_EQ(tdata[2], 1);
  EXPECT_TRUE(trb.IsContiguous());
  ffi::Tensor empty = testing::HostTensor(ffi::Shape({0, 4}), DLDataType{kDLFloat, 32, 1});
  EXPECT_EQ(RoundTrip(ffi::Any(empty)).cast<ffi::Tensor>().numel(), 0);
}

TEST(Codec, ObjectsGoThroughTheRefTable) {
  VectorRefTable refs;
  ffi::Function f = ffi::Function::FromTyped([](int x) { return x + 1; });
  ffi::Any back = RoundTrip(ffi::Any(f), &refs);
  ASSERT_EQ(refs.objects.size(), 1u);
  EXPECT_TRUE(back.cast<ffi::Function>().same_as(f));
  // Without a session an object is a TypeError.
  v1::Value wire;
  absl::Status st = EncodeValue(ffi::Any(f), nullptr, &wire);
  EXPECT_EQ(ErrorKindOf(st), "TypeError");
  EXPECT_NE(std::string(st.message()).find("ffi.Function"), std::string::npos);
}

TEST(Codec, RawPointersNeverCross) {
  int x = 0;
  v1::Value wire;
  absl::Status st = EncodeValue(ffi::AnyView(static_cast<void*>(&x)), nullptr, &wire);
  EXPECT_EQ(ErrorKindOf(st), "TypeError");
  EXPECT_NE(std::string(st.message()).find("raw pointer"), std::string::npos);
  // Nested in an array too.
  ffi::Array<ffi::Any> arr{ffi::Any(1), ffi::Any(static_cast<void*>(&x))};
  st = EncodeValue(ffi::Any(arr), nullptr, &wire);
  EXPECT_EQ(ErrorKindOf(st), "TypeError");
}

TEST(Codec, MalformedValuesAreErrors) {
  v1::Value empty;
  EXPECT_EQ(ErrorKindOf(DecodeValue(empty, nullptr).status()), "ValueError");
  v1::Value map;
  map.mutable_map()->add_keys()->set_int_value(1);
  EXPECT_EQ(ErrorKindOf(DecodeValue(map, nullptr).status()), "ValueError");
  v1::Value tensor;
  tensor.mutable_tensor()->mutable_dtype()->set_code(kDLFloat);
  tensor.mutable_tensor()->mutable_dtype()->set_bits(32);
  tensor.mutable_tensor()->mutable_dtype()->set_lanes(1);
  tensor.mutable_tensor()->add_shape(1000000);
  tensor.mutable_tensor()->add_shape(1000000);
  tensor.mutable_tensor()->add_shape(1000000);
  EXPECT_EQ(ErrorKindOf(DecodeValue(tensor, nullptr).status()), "ValueError");
  tensor.mutable_tensor()->clear_shape();
  tensor.mutable_tensor()->add_shape(4);
  tensor.mutable_tensor()->set_data("abc");  // 3 bytes for 16 expected
  EXPECT_EQ(ErrorKindOf(DecodeValue(tensor, nullptr).status()), "ValueError");
  v1::Value ref;
  ref.mutable_ref()->set_handle(5);
  EXPECT_EQ(ErrorKindOf(DecodeValue(ref, nullptr).status()), "TypeError");
  // Nesting beyond the limit.
  v1::Value deep;
  v1::Value* cur = &deep;
  for (int i = 0; i < 100; ++i) cur = cur->mutable_array()->add_values();
  cur->set_int_value(1);
  EXPECT_EQ(ErrorKindOf(DecodeValue(deep, nullptr).status()), "ValueError");
  {
    // Found by the fuzzer: an empty tensor whose other extents overflow its strides.
    v1::Value v;
    v1::Tensor* t = v.mutable_tensor();
    t->mutable_dtype()->set_code(kDLFloat);
    t->mutable_dtype()->set_bits(32);
    t->mutable_dtype()->set_lanes(1);
    for (int64_t d : {int64_t{0}, int64_t{1} << 40, int64_t{1} << 40}) t->add_shape(d);
    absl::StatusOr<ffi::Any> out = DecodeValue(v, nullptr);
    ASSERT_FALSE(out.ok());
    EXPECT_NE(out.status().message().find("overflow"), std::string_view::npos) << out.status();
  }
}

// Random mutations of valid encodings: each either decodes or fails with a status, never
// crashes (ASan/UBSan check the "never").
// Issue #10, item 12: a map of 2^24 entries decoded in quadratic time (one frame, hours of a
// core). Maps are bounded per map and per value, with a typed error; a map at the bound decodes.
TEST(Codec, ListsAndDictsTravelAsThemselves) {
  ffi::List<ffi::Any> list{ffi::Any(1), ffi::Any(ffi::String("x"))};
  ffi::Dict<ffi::Any, ffi::Any> dict;
  for (int i = 0; i < 10; ++i) dict.Set(ffi::Any(i), ffi::Any(list));  // the dense form
  ffi::Any back = RoundTrip(ffi::Any(dict));
  ASSERT_EQ(back.type_index(), ffi::TypeIndex::kTVMFFIDict);
  auto d = back.cast<ffi::Dict<ffi::Any, ffi::Any>>();
  ASSERT_EQ(d.size(), 10u);
  int expect = 0;
  for (const auto& kv : d) EXPECT_EQ(kv.first.cast<int>(), expect++);
  ffi::Any inner = d.at(ffi::Any(9));
  ASSERT_EQ(inner.type_index(), ffi::TypeIndex::kTVMFFIList);
  EXPECT_EQ(inner.cast<ffi::List<ffi::Any>>()[1].cast<std::string>(), "x");
  // and a Map and an Array stay what they are
  ffi::Map<ffi::Any, ffi::Any> map{{ffi::Any(1), ffi::Any(ffi::Array<ffi::Any>{ffi::Any(2)})}};
  ffi::Any map_back = RoundTrip(ffi::Any(map));
  EXPECT_EQ(map_back.type_index(), ffi::TypeIndex::kTVMFFIMap);
  using AnyMap = ffi::Map<ffi::Any, ffi::Any>;
  EXPECT_EQ(map_back.cast<AnyMap>().at(ffi::Any(1)).type_index(), ffi::TypeIndex::kTVMFFIArray);
}

TEST(Codec, MapsAreBoundedSoDecodingStaysCheap) {
  CodecLimits limits;
  auto map_of = [](int n) {
    v1::Value v;
    for (int i = 0; i < n; ++i) {
      v.mutable_map()->add_keys()->set_int_value(i);
      v.mutable_map()->add_values()->set_int_value(i);
    }
    return v;
  };
  v1::Value at_bound = map_of(static_cast<int>(limits.max_map_entries));
  absl::StatusOr<ffi::Any> ok = DecodeValue(at_bound, nullptr, limits);
  ASSERT_TRUE(ok.ok()) << ok.status();
  using AnyMap = ffi::Map<ffi::Any, ffi::Any>;
  EXPECT_EQ(ok->cast<AnyMap>().size(), limits.max_map_entries);
  v1::Value over = map_of(static_cast<int>(limits.max_map_entries) + 1);
  absl::StatusOr<ffi::Any> refused = DecodeValue(over, nullptr, limits);
  EXPECT_EQ(ErrorKindOf(refused.status()), "ValueError");
  EXPECT_NE(refused.status().message().find("over the limit"), std::string::npos);
  // Many maps at the bound in one value: the total bound holds too.
  v1::Value many;
  for (uint64_t i = 0; i <= limits.max_total_map_entries / limits.max_map_entries; ++i) {
    *many.mutable_array()->add_values() = at_bound;
  }
  EXPECT_EQ(ErrorKindOf(DecodeValue(many, nullptr, limits).status()), "ValueError");
}

TEST(Codec, MutatedWireDataNeverCrashes) {
  std::vector<std::string> seeds;
  {
    ffi::Array<ffi::Any> arr{ffi::Any(1), ffi::Any(ffi::String("two and more")), ffi::Any(3.5),
                             ffi::Any(ffi::Shape({1, 2})), ffi::Any(DLDevice{kDLCPU, 0})};
    ffi::Map<ffi::Any, ffi::Any> map{{ffi::Any(ffi::String("a")), ffi::Any(arr)}};
    ffi::Tensor t = testing::HostTensor(ffi::Shape({2, 2}), DLDataType{kDLFloat, 32, 1});
    std::memset(t.data_ptr(), 0, 16);
    for (const ffi::Any& v : {ffi::Any(arr), ffi::Any(map), ffi::Any(t),
                              ffi::Any(ffi::Error("ValueError", "m", "bt"))}) {
      v1::Value wire;
      ASSERT_TRUE(EncodeValue(v, nullptr, &wire).ok());
      seeds.push_back(wire.SerializeAsString());
    }
  }
  std::mt19937_64 rng(12345);
  int decoded = 0, rejected = 0, unparsable = 0;
  constexpr int kIterations = 120000;
  for (int i = 0; i < kIterations; ++i) {
    std::string bytes = seeds[i % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !bytes.empty(); ++e) {
      size_t pos = rng() % bytes.size();
      switch (rng() % 3) {
        case 0:
          bytes[pos] = static_cast<char>(rng());
          break;
        case 1:
          bytes.erase(pos, 1 + rng() % 3);
          break;
        default:
          bytes.insert(pos, 1, static_cast<char>(rng()));
      }
    }
    v1::Value parsed;
    if (!parsed.ParseFromString(bytes)) {
      ++unparsable;
      continue;
    }
    absl::StatusOr<ffi::Any> out = DecodeValue(parsed, nullptr);
    if (out.ok()) {
      ++decoded;
      // What decodes is a real value: it encodes again (or says why not, with a kind).
      v1::Value again;
      absl::Status encoded = EncodeValue(*out, nullptr, &again);
      if (!encoded.ok()) {
        EXPECT_FALSE(ErrorKindOf(encoded).empty()) << encoded;
      }
    } else {
      ++rejected;
      // What does not decode is a typed error with a reason, never anything else.
      std::string kind = ErrorKindOf(out.status());
      EXPECT_TRUE(kind == "ValueError" || kind == "TypeError") << out.status();
      EXPECT_FALSE(out.status().message().empty());
    }
  }
  // The mutations exercise all three paths, each a fair share of the time (the counts are
  // deterministic for this seed: a change in them means the decoder's behaviour changed).
  std::cout << "decoded " << decoded << ", rejected " << rejected << ", unparsable " << unparsable
            << "\n";
  EXPECT_GT(decoded, kIterations / 50);
  EXPECT_GT(rejected, kIterations / 500);
  EXPECT_GT(unparsable, kIterations / 100);
}

}  // namespace
}  // namespace tvmffi::rpc
