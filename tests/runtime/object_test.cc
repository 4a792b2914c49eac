// The object model: reference counts, weak references, type registration, IsInstance.
#include <gtest/gtest.h>

#include <tvm/ffi/tvm_ffi.h>
#include <cstring>

#include <atomic>

namespace {
using namespace tvm::ffi;

std::atomic<int> g_destroyed{0};

class BaseObj : public Object {
 public:
  int value = 0;
  ~BaseObj() { ++g_destroyed; }
  static constexpr uint32_t _type_child_slots = 2;
  TVM_FFI_DECLARE_OBJECT_INFO("object_test.Base", BaseObj, Object);
};

class Base : public ObjectRef {
 public:
  explicit Base(int v) : ObjectRef(make_object<BaseObj>()) {
    static_cast<BaseObj*>(get_mutable())->value = v;
  }
  TVM_FFI_DEFINE_OBJECT_REF_METHODS_NULLABLE(Base, ObjectRef, BaseObj);
};

// A polymorphic subclass: its Object part is not at offset 0 of the allocation.
class ChildObj : public BaseObj {
 public:
  virtual ~ChildObj() = default;
  virtual int Twice() const { return 2 * value; }
  TVM_FFI_DECLARE_OBJECT_INFO_FINAL("object_test.Child", ChildObj, BaseObj);
};

class OtherObj : public Object {
 public:
  TVM_FFI_DECLARE_OBJECT_INFO_FINAL("object_test.Other", OtherObj, Object);
};

TEST(Object, NewObjectHasOneStrongAndOneWeak) {
  ObjectPtr<BaseObj> p = make_object<BaseObj>();
  const TVMFFIObject* header = details::ObjectUnsafe::GetHeader(p.get());
  EXPECT_EQ(header->combined_ref_count, (uint64_t{1} << 32) | 1);
  EXPECT_EQ(header->type_index, BaseObj::RuntimeTypeIndex());
  EXPECT_NE(header->deleter, nullptr);
}

TEST(Object, DestroyedWhenLastReferenceGoes) {
  int before = g_destroyed;
  {
    Base a(1);
    Base b = a;
    EXPECT_EQ(a.use_count(), 2);
    TVMFFIObjectIncRef(details::ObjectUnsafe::RawObjectPtrFromObjectRef(a));
    TVMFFIObjectDecRef(details::ObjectUnsafe::RawObjectPtrFromObjectRef(a));
  }
  EXPECT_EQ(g_destroyed, before + 1);
}

TEST(Object, WeakReferences) {
  int before = g_destroyed;
  WeakObjectPtr<BaseObj> weak;
  {
    ObjectPtr<BaseObj> strong = make_object<BaseObj>();
    weak = WeakObjectPtr<BaseObj>(strong);
    EXPECT_FALSE(weak.expired());
    ObjectPtr<BaseObj> again = weak.lock();
    EXPECT_EQ(again.get(), strong.get());
  }
  // Destroyed (destructor ran) but the storage lives until the weak reference goes.
  EXPECT_EQ(g_destroyed, before + 1);
  EXPECT_TRUE(weak.expired());
  EXPECT_EQ(weak.lock().get(), nullptr);
}

TEST(Object, TypeIndicesAndInstanceChecks) {
  int32_t base = BaseObj::RuntimeTypeIndex();
  int32_t child = ChildObj::RuntimeTypeIndex();
  int32_t other = OtherObj::RuntimeTypeIndex();
  EXPECT_GE(base, kTVMFFIDynObjectBegin);
  EXPECT_EQ(child, base + 1);  // inside Base's reserved child block
  EXPECT_NE(other, base);
  const TVMFFITypeInfo* info = TVMFFIGetTypeInfo(child);
  EXPECT_EQ(info->type_depth, 2);
  EXPECT_EQ(info->type_ancestors[1]->type_index, base);
  ObjectPtr<ChildObj> c = make_object<ChildObj>();
  c->value = 21;
  ObjectRef as_ref(c);
  EXPECT_TRUE(as_ref->IsInstance<BaseObj>());
  EXPECT_TRUE(as_ref->IsInstance<ChildObj>());
  EXPECT_FALSE(as_ref->IsInstance<OtherObj>());
  EXPECT_EQ(as_ref.as<ChildObj>()->Twice(), 42);
  EXPECT_EQ(as_ref.GetTypeKey(), "object_test.Child");
  int32_t by_key = -1;
  TVMFFIByteArray key{"object_test.Child", 17};
  ASSERT_EQ(TVMFFITypeKeyToIndex(&key, &by_key), 0);
  EXPECT_EQ(by_key, child);
}

TEST(Object, PolymorphicObjectsRoundTripThroughAny) {
  int before = g_destroyed;
  {
    ObjectPtr<ChildObj> c = make_object<ChildObj>();
    c->value = 5;
    Any a = ObjectRef(c);
    c.reset();
    EXPECT_EQ(a.as<const ChildObj*>()->Twice(), 10);
    EXPECT_EQ(a.cast<Base>()->value, 5);
    EXPECT_THROW(a.cast<Function>(), Error);
  }
  EXPECT_EQ(g_destroyed, before + 1);
}

TEST(Object, DowncastChecksTheType) {
  ObjectRef r(make_object<ChildObj>());
  EXPECT_NO_THROW(Downcast<Base>(r));
  ObjectRef o(make_object<OtherObj>());
  EXPECT_THROW(Downcast<Base>(o), Error);
}

}  // namespace

namespace {
// Upstream's type-attribute columns exist from the library's load on, empty until a type
// registers a value: code built against upstream's headers looks them up in its own static
// initializers.
TEST(TypeAttrColumns, ExistAtLoad) {
  for (const char* name : {"__ffi_enum__", "__ffi_convert__", "__ffi_repr__", "__s_equal__",
                           "__s_hash__", "__any_hash__", "__any_equal__", "__ffi_init__"}) {
    TVMFFIByteArray bytes{name, std::strlen(name)};
    EXPECT_NE(TVMFFIGetTypeAttrColumn(&bytes), nullptr) << name;
  }
  TVMFFIByteArray unknown{"__no_such_column__", 18};
  EXPECT_EQ(TVMFFIGetTypeAttrColumn(&unknown), nullptr);
}
}  // namespace
